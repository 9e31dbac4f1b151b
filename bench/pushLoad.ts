/**
 * The load side of `npm run bench:push`, in a process of its own so the hub's event loop never
 * delays a send: one single-record POST every 1/rate seconds on keep-alive sockets (open loop: a
 * slow answer does not slow the sending). Latency counts from the request's scheduled time, so a
 * hub that falls behind shows it (no coordinated omission). Prints one JSON line on stdout.
 * `acceptMs` covers every request; `acceptMsAfterWarmup` those scheduled after the first
 * WARMUP_SECONDS: a hub started cold falls ~3 s behind at once (the sends open all 512 sockets while
 * its code is not yet optimized, and the connections wait seconds to be accepted), which alone sets
 * the whole run's p99; steady state is the second figure. Both are reported, neither replaces the other.
 *   argv: url rate workFile (JSON: [{ key, body }], one per request, built by bench/push.ts)
 * Batch mode, when the work file is { clients, seconds, keys, templates }: `clients` closed loops each
 * POST a batch body back to back until `seconds` have passed (a template's parts joined with the POST's
 * number, so every POST's externalIds are new); latency is per POST, throughput in accepted records.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [url, rateArg, workFile] = process.argv.slice(2) as [string, string, string];
const rate = Number(rateArg);
const parsed = JSON.parse(readFileSync(workFile, 'utf8')) as { key: string; body: string; idem?: string }[] | BatchWork;
const target = new URL('/v1/registrations', url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

interface BatchWork { clients: number; seconds: number; keys: string[]; templates: string[][] }
if (!Array.isArray(parsed)) {
  await batchLoad(parsed);
  process.exit(0);
}
const work = parsed;
const total = work.length;
const latencies: number[] = [];
const WARMUP_SECONDS = 5;
const afterWarmup: number[] = [];
const statuses = new Map<number, number>();
let errors = 0;
let inFlight = 0;

function post(i: number, due: number): Promise<void> {
  const { key, body, idem } = work[i]!;
  inFlight++;
  return new Promise((resolve) => {
    const req = http.request(target, {
      method: 'POST', agent,
      headers: {
        authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        ...(idem ? { 'idempotency-key': idem } : {}),
      },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        inFlight--;
        statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
        if (res.statusCode === 202) {
          const ms = performance.now() - due;
          latencies.push(ms);
          if (due - start >= WARMUP_SECONDS * 1000) afterWarmup.push(ms);
        }
        resolve();
      });
    });
    req.on('error', () => { inFlight--; errors++; resolve(); });
    req.end(body);
  });
}

const pending: Promise<void>[] = [];
const start = performance.now() + 50;
let maxInFlight = 0;
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  pending.push(post(i, due));
  if (inFlight > maxInFlight) maxInFlight = inFlight;
}
const sent = performance.now();
await Promise.all(pending);
const ended = performance.now();
agent.destroy();
latencies.sort((a, b) => a - b);
afterWarmup.sort((a, b) => a - b);
const pctOf = (xs: number[], p: number) => (xs.length ? Number(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!.toFixed(1)) : null);
const pct = (p: number) => pctOf(latencies, p);
process.stdout.write(`${JSON.stringify({
  requests: total, accepted: latencies.length, statuses: Object.fromEntries(statuses), errors, maxInFlight,
  sendSeconds: Number(((sent - start) / 1000).toFixed(2)), seconds: Number(((ended - start) / 1000).toFixed(2)),
  achievedPerSecond: Math.round(latencies.length / ((ended - start) / 1000)),
  acceptMs: { p50: pct(0.5), p99: pct(0.99), max: pct(1) },
  acceptMsAfterWarmup: { warmupSeconds: WARMUP_SECONDS, requests: afterWarmup.length, p50: pctOf(afterWarmup, 0.5), p99: pctOf(afterWarmup, 0.99), max: pctOf(afterWarmup, 1) },
})}\n`);

async function batchLoad(w: BatchWork): Promise<void> {
  const lat: number[] = [];
  const codes = new Map<number, number>();
  let acceptedRecords = 0;
  let rejectedRecords = 0;
  let failures = 0;
  let n = 0;
  const t0 = performance.now();
  const until = t0 + w.seconds * 1000;
  const send = (key: string, body: string) => new Promise<{ status: number; text: string }>((resolve) => {
    const req = http.request(target, {
      method: 'POST', agent,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
  await Promise.all(Array.from({ length: w.clients }, async (_, c) => {
    while (performance.now() < until) {
      const i = n++;
      const body = w.templates[i % w.templates.length]!.join(String(i));
      const began = performance.now();
      const { status, text } = await send(w.keys[c % w.keys.length]!, body);
      lat.push(performance.now() - began);
      codes.set(status, (codes.get(status) ?? 0) + 1);
      if (status !== 202) { failures++; continue; }
      const answer = JSON.parse(text) as { records: { status: string }[] };
      for (const r of answer.records) if (r.status === 'accepted') acceptedRecords++; else rejectedRecords++;
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(1)) : null);
  process.stdout.write(`${JSON.stringify({
    posts: lat.length, statuses: Object.fromEntries(codes), failures, acceptedRecords, rejectedRecords,
    seconds: Number(elapsed.toFixed(2)), acceptedPerSecond: Math.round(acceptedRecords / elapsed),
    postMs: { p50: q(0.5), p99: q(0.99), max: q(1) },
  })}\n`);
}
