import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received { headers: http.IncomingHttpHeaders; body: string; at: number }

/** A real HTTP receiver on the loopback; `answer` decides each reply (status, optional JSON body, optional delay; 'hang' never answers). */
export async function startReceiver(answer: (r: Received, n: number) => { status: number; body?: unknown; delayMs?: number } | 'hang') {
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      const a = answer(r, received.length);
      if (a === 'hang') { hanging.add(res); return; }
      const reply = () => {
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body === undefined ? '' : JSON.stringify(a.body));
      };
      if (a.delayMs) setTimeout(reply, a.delayMs); else reply();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
