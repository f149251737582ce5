import { type ServerType, serve } from "@hono/node-server";

type FetchApp = { fetch: (request: Request, env: unknown) => Response | Promise<Response> };

export interface ApiServer {
  apiUrl: string;
  /** Starts answering with `app`; until then every request gets 503 "starting". */
  mount(app: FetchApp): void;
  close(): Promise<void>;
}

/**
 * The API listens before it is wired: its URL goes into the template's registration callback,
 * which the wiring needs. Requests that arrive in between are told the server is starting.
 */
export async function listenForApi(host: string, port: number): Promise<ApiServer> {
  let app: FetchApp | undefined;
  let server: ServerType | undefined;
  const listening = await new Promise<{ port: number }>((done, fail) => {
    server = serve(
      {
        // The env carries the socket: the callback route's rate limit keys on the caller's address.
        fetch: (request, env) => (app ? app.fetch(request, env) : new Response("starting", { status: 503 })),
        port,
        hostname: host,
      },
      done,
    );
    server.once("error", fail);
  }).catch((error) => {
    server?.close();
    throw error;
  });
  return {
    apiUrl: `http://${host}:${listening.port}`,
    mount: (wired) => {
      app = wired;
    },
    close: () => new Promise<void>((done) => (server ? server.close(() => done()) : done())),
  };
}
