// A TCP proxy in front of the local Worker that drops live streams server-side: the first `cuts`
// connections carrying a stream (an SSE request or a WebSocket upgrade) are destroyed once they
// have passed `afterEvents` run events downstream, part-way through whatever chunk comes next.

import { createConnection, createServer, type Socket } from "node:net";

export interface CuttingProxy {
  origin: string;
  /** Stream connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

const STREAM_REQUEST = /accept:\s*text\/event-stream|upgrade:\s*websocket/i;
const EVENT_MARK = /"seq":/g;
const COMPRESSION_OFFER = /^sec-websocket-extensions:[^\r\n]*\r\n/im;

export async function startCuttingProxy(target: string, options: { cuts: number; afterEvents: number }): Promise<CuttingProxy> {
  const upstreamUrl = new URL(target);
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: upstreamUrl.hostname, port: Number(upstreamUrl.port) });
    sockets.add(client).add(upstream);
    let streaming = false;
    let seen = 0;
    const cut = () => {
      cuts++;
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      if (streaming || cuts >= options.cuts || !STREAM_REQUEST.test(text)) return void upstream.write(chunk);
      streaming = true;
      // Without permessage-deflate the WebSocket frames stay readable, so events can be counted.
      upstream.write(Buffer.from(text.replace(COMPRESSION_OFFER, ""), "latin1"));
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!streaming) return void client.write(chunk);
      const text = chunk.toString("utf8");
      const marks = text.match(EVENT_MARK)?.length ?? 0;
      if (seen + marks < options.afterEvents || cuts >= options.cuts) {
        seen += marks;
        return void client.write(chunk);
      }
      // Forward up to the middle of the event that reaches the threshold, then cut.
      let index = -1;
      for (let n = 0; n < options.afterEvents - seen; n++) index = text.indexOf('"seq":', index + 1);
      client.write(Buffer.from(text.slice(0, Math.max(0, index + 3))), cut);
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on("end", () => b.end());
      a.on("error", () => b.destroy());
      a.on("close", () => sockets.delete(a));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    get cuts() {
      return cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
