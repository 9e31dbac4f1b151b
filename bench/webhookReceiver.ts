/** A receiver in its own process (so it does not share the hub's event loop): answers 200 after --latency ms; prints its port. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const latency = Number(process.argv[2] ?? 50);
let received = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    setTimeout(() => { res.writeHead(200, { 'content-length': '0' }); res.end(); }, latency);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`));
process.on('message', () => process.send?.({ received }));
