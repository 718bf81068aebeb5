// A real Postgres for the tests when no server answers: PGlite (Postgres compiled to WASM, in
// memory) served over the wire protocol by pglite-socket, behind the multiplexer that lets any
// number of `pg` clients share its one session a transaction at a time.
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { startPgMultiplexer } from "./pg-multiplexer";

/** A running embedded Postgres. */
export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: its one database, whatever name a client asks for. */
  url: string;
  stop(): Promise<void>;
}

/** Starts PGlite, its socket server (one connection: the multiplexer's) and the multiplexer. */
export async function startEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  const db = await PGlite.create();
  const socket = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 });
  try {
    await socket.start();
    const [host = "127.0.0.1", port = ""] = socket.getServerConn().split(":");
    const mux = await startPgMultiplexer({ backendHost: host, backendPort: Number(port) });
    return {
      url: `postgres://postgres@${mux.host}:${mux.port}/postgres`,
      async stop() {
        await mux.close();
        await socket.stop();
        await db.close();
      },
    };
  } catch (err) {
    await socket.stop();
    await db.close();
    throw err;
  }
}
