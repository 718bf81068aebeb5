// Server CPU of a side: the user + system time of the workerd processes that run its Worker,
// read from /proc (Linux). The benchmark starts each side's Worker in its own workerd process, so
// the CPU a process used during that side's batches is the side's server CPU.

import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in ticks. */
  ticks: number;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces, so split after its closing parenthesis.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const f = stat.slice(close + 2).split(" ");
    // After comm: [0] state, [1] ppid, …, [11] utime, [12] stime.
    return { pid, ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null; // the process ended meanwhile
  }
}

function allProcs(): Proc[] {
  if (process.platform !== "linux") return [];
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => readProc(Number(d)) ?? []);
}

/** The workerd processes started by this process (its descendants). */
export function workerdDescendants(): Set<number> {
  const procs = allProcs();
  const parent = new Map(procs.map((p) => [p.pid, p.ppid]));
  const mine = (pid: number) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return new Set(procs.filter((p) => p.comm === "workerd" && mine(p.pid)).map((p) => p.pid));
}

/** CPU time (ms) the processes `pids` have used so far; NaN off Linux. */
export function cpuMs(pids: Set<number>): number {
  if (process.platform !== "linux" || pids.size === 0) return Number.NaN;
  let ticks = 0;
  for (const pid of pids) ticks += readProc(pid)?.ticks ?? 0;
  return (ticks * 1000) / TICKS_PER_S;
}
