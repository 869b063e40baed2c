import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RpcProxy {
  url: string;
  /** JSON-RPC methods forwarded so far, in order. */
  methods: string[];
  /** From now on every connection is dropped at once, as if the RPC node were down. */
  cut(): void;
  restore(): void;
  /** Forwards the next request carrying `method` to the chain, then drops the connection instead of answering. */
  loseAnswerTo(method: string): void;
  close(): Promise<void>;
}

/**
 * A JSON-RPC proxy in front of anvil that a test can cut: the publisher talks to the chain
 * through it, and the test decides when the chain "goes down" and whether an answer is lost
 * after the chain acted on the request.
 */
export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const methods: string[] = [];
  const sockets = new Set<Socket>();
  let down = false;
  const losing = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    if (down) {
      req.socket.destroy();
      return;
    }
    const parsed = JSON.parse(body) as { method: string } | { method: string }[];
    const named = (Array.isArray(parsed) ? parsed : [parsed]).map((request) => request.method);
    methods.push(...named);
    const answer = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await answer.text();
    const lost = named.find((method) => losing.has(method));
    if (lost) {
      losing.delete(lost);
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    if (down) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      down = false;
    },
    loseAnswerTo(method) {
      losing.add(method);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
