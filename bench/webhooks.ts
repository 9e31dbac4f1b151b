/**
 * Webhook push throughput: N routed items spread over A agencies, each agency with an endpoint allowed
 * `--in-flight` requests at once, pushed to a receiver (its own process) that answers 200 after
 * `--latency` ms. Timed from the dispatcher's start until every item is delivered (state, attempt and
 * audit rows written in Postgres). Baseline in the same window: the same POSTs by a bare node:http loop
 * with the same concurrency and no Postgres, the ceiling the receiver's latency allows.
 *   npm run bench:webhooks -- --items 20000 --agencies 4 --in-flight 64 --latency 50
 */
import { parseArgs } from 'node:util';
import { fork } from 'node:child_process';
import http from 'node:http';
import { sql } from 'drizzle-orm';
import { rows } from '../src/db/client.js';
import { setEndpoint } from '../src/delivery/endpoints.js';
import { startDispatcher } from '../src/delivery/dispatcher.js';
import { startBenchHub, postgresCpuSeconds, processCpuSeconds } from './benchHub.js';

const { values } = parseArgs({ options: {
  items: { type: 'string', default: '20000' }, agencies: { type: 'string', default: '4' },
  'in-flight': { type: 'string', default: '64' }, latency: { type: 'string', default: '50' },
} });
const items = Number(values.items);
const agencyCount = Number(values.agencies);
const inFlight = Number(values['in-flight']);
const latency = Number(values.latency);

const receiver = fork(new URL('./webhookReceiver.ts', import.meta.url).pathname, [String(latency)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) => receiver.stdout!.on('data', (d: Buffer) => { const m = /port (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); }));
const url = `http://127.0.0.1:${port}/hook`;

const bench = await startBenchHub({ api: false, workers: false });
const { hub } = bench;
const db = hub.database.db;
const agencies = [...hub.config.agencies.keys()].slice(0, agencyCount);

// Routed registrations and their waiting queue items, made in SQL before the clock starts.
await db.execute(sql`
  insert into registrations (village_code, external_id, service_code, applicant, status, route_agency, route_level)
  select '1812012002', 'wb-' || g, 'KTP_EL_BARU',
         jsonb_build_object('nik', '18120141019' || lpad((g % 100000)::text, 5, '0'), 'fullName', 'Pemohon ' || g, 'birthDate', '1991-01-01'),
         'routed', 'disdukcapil', 'kabupaten'
  from generate_series(1, ${items}) g`);
await db.execute(sql`
  insert into deliveries (registration_id, agency_code, level, queue)
  select r.id, a.code, 'kabupaten', 'kab:' || a.code
  from registrations r, lateral (select (${sql.param(agencies)}::text[])[1 + r.id % ${agencies.length}] as code) a`);
await db.execute(sql`analyze deliveries`);
await db.execute(sql`analyze registrations`);
for (const a of agencies) await setEndpoint(db, { kind: 'agency', agency: a, kecamatan: null }, url, 'bench', inFlight);

// Baseline: the same number of POSTs with the same concurrency, by a bare client.
async function baseline(n: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight * agencies.length });
  const body = Buffer.from(JSON.stringify({ type: 'registration.routed', data: { id: 1, applicant: { fullName: 'x'.repeat(40) } } }));
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight * agencies.length }, async () => {
    while (next < n) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => { res.resume(); res.on('end', resolve); });
        req.on('error', reject);
        req.end(body);
      });
    }
  }));
  agent.destroy();
  return n / ((performance.now() - started) / 1000);
}
const base = await baseline(Math.min(items, 10000));

const cpu0 = process.cpuUsage();
const pg0 = await postgresCpuSeconds(hub);
const rx0 = processCpuSeconds(receiver.pid!);
const started = performance.now();
const dispatcher = startDispatcher(hub.ctx, { pollMs: 50, timeoutMs: 10_000 });
for (;;) {
  const [r] = await rows<{ left: number }>(db, sql`select count(*)::int as left from deliveries where push_state is distinct from 'delivered'`);
  if (r!.left === 0) break;
  await new Promise((res) => setTimeout(res, 100));
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
const pg = await postgresCpuSeconds(hub) - pg0;
const rxCpu = processCpuSeconds(receiver.pid!) - rx0;
await dispatcher.close();
const [att] = await rows<{ n: number; failed: number }>(db, sql`select count(*)::int as n, count(*) filter (where outcome <> 'delivered')::int as failed from webhook_attempts`);
receiver.kill();
await bench.close();

const rate = items / seconds;
console.log(JSON.stringify({
  items, agencies: agencies.length, inFlightPerEndpoint: inFlight, receiverLatencyMs: latency,
  seconds: Number(seconds.toFixed(2)), deliveriesPerSecond: Math.round(rate),
  attempts: att!.n, failedAttempts: att!.failed,
  hubCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)), postgresCpuSeconds: Number(pg.toFixed(2)), receiverCpuSeconds: Number(rxCpu.toFixed(2)),
  baselineBareHttpPerSecond: Math.round(base), ratioToBaseline: Number((rate / base).toFixed(2)),
  ceilingByLatency: Math.round((inFlight * agencies.length * 1000) / latency),
}, null, 2));
