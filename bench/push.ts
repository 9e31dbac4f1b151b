/**
 * Single-record pushes at a fixed rate, as a morning of villages each sending registrations one by
 * one: a separate process (bench/pushLoad.ts) POSTs one registration per request on keep-alive
 * sockets at `--rate` per second for `--seconds`, spread over `--villages` village keys. Reports the
 * achieved rate, accept latency (from each request's scheduled time) and accept → routed, read from
 * Postgres (registration created_at to its delivery's created_at, both transaction start times).
 * `--worker-processes N` runs the pipeline in N `tiyuh-hub worker` processes beside an API-only hub
 * (scale-out: they share Redis and Postgres); 0, the default, runs it in the serving process.
 * Real Postgres (a fresh database) and Redis.
 *   npm run bench:push -- --rate 1000 --seconds 60 [--worker-processes 2] [--idempotency]
 * `--batch N` measures HTTP batch push instead: `--clients` closed-loop clients, each POSTing
 * {"registrations": [N records]} back to back for `--seconds` (bodies from a pool of `--pool` synthetic
 * people, each POST with fresh externalIds); reports accepted records/s and each POST's latency.
 * `--pipeline off` runs intake alone (no identify/route workers), so the figure is intake's own.
 *   npm run bench:push -- --batch 1000 --clients 6 --seconds 30 [--pipeline off]
 */
import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { createKey } from '../src/api/keys.js';
import { rows } from '../src/db/client.js';
import { BENCH_REDIS_URL, postgresCpuSeconds, processCpuSeconds, startBenchHub } from './benchHub.js';
import { generatePopulation } from '../src/synth/population.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '60' },
    villages: { type: 'string', default: '20' }, drain: { type: 'string', default: '120' }, 'worker-processes': { type: 'string', default: '0' },
    batch: { type: 'string', default: '0' }, clients: { type: 'string', default: '6' }, pool: { type: 'string', default: '60000' },
    pipeline: { type: 'string', default: 'on' }, idempotency: { type: 'boolean', default: false },
  },
});
const here = path.dirname(fileURLToPath(import.meta.url));
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const drainSeconds = Number(values.drain);
const batch = Number(values.batch);

// Every request its own key's village; the rate limit is per key and would otherwise be what is measured.
const workerProcesses = Number(values['worker-processes']);
// With the pipeline off nothing drains: the backlog bound (503) is lifted, or it is what is measured.
const bench = await startBenchHub({ api: true, workers: workerProcesses === 0 && values.pipeline !== 'off' }, {
  RATE_LIMIT_PER_MINUTE: String(1_000_000_000), ...(values.pipeline === 'off' ? { PIPELINE_BACKLOG_LIMIT: '0' } : {}),
});
const { hub } = bench;
const workers: ChildProcess[] = Array.from({ length: workerProcesses }, () => spawn(process.execPath, [path.join(here, '../bin/tiyuh-hub.js'), 'worker'], {
  env: { ...process.env, DATABASE_URL: bench.databaseUrl, REDIS_URL: BENCH_REDIS_URL, QUEUE_PREFIX: bench.prefix, LOG_LEVEL: 'warn', TIYUH_SUPERVISOR: 'off' },
  stdio: ['ignore', 'ignore', 'inherit'],
}));
const villages = readFileSync(path.join(here, '../config/regions.csv'), 'utf8').split('\n')
  .map((l) => l.split(',')).filter((c) => c[2] === 'desa').map((c) => c[0]!.replaceAll('.', ''))
  .filter((_, i, all) => i % Math.max(1, Math.floor(all.length / Number(values.villages))) === 0).slice(0, Number(values.villages));
const keys = await Promise.all(villages.map(async (v) => (await createKey(hub.database.db, { role: 'village', villageCode: v })).secret));

// Bodies built before the clock starts, from the synthetic population (matches, movers, typos).
const total = batch > 0 ? Number(values.pool) : Math.round(rate * seconds);
const people = generatePopulation({ records: total, seed: 1815 }).records.slice(0, total);
const services = ['KTP_EL_BARU', 'KIA', 'LEGALISASI_DOKUMEN', 'PENGANTAR_SKCK', 'SURAT_PINDAH_DATANG'];
const registration = (p: (typeof people)[number], i: number, externalId: string) => ({
  externalId, service: services[i % services.length],
  applicant: {
    nik: p.nik, kk: p.kk, fullName: p.fullName, sex: p.sex, birthDate: p.birthDate, birthPlace: p.birthPlace ?? 'Panaragan',
    motherName: p.motherName, address: p.address ?? 'Jl. Lintas Sumatera', villageCode: p.villageCode, rt: p.rt, rw: p.rw, dusun: p.dusun,
    phone: '081234567890',
  },
});
// Batch mode: body templates whose externalIds the load process makes unique per POST (~R~ becomes the POST's number).
const work = batch > 0
  ? {
    clients: Number(values.clients), seconds, keys,
    templates: Array.from({ length: Math.ceil(people.length / batch) }, (_, t) => JSON.stringify({
      registrations: people.slice(t * batch, (t + 1) * batch).map((p, k) => registration(p, t * batch + k, `b-~R~-${k}`)),
    }).split('~R~')),
  }
  : people.map((p, i) => ({
    key: keys[i % keys.length]!, body: JSON.stringify(registration(p, i, `p-${i}`)),
    // --idempotency: every single push with its own Idempotency-Key, as a careful village system sends them.
    ...(values.idempotency ? { idem: `push-${i}` } : {}),
  }));
// Worker processes start before the clock: a process's start-up is not what is measured.
for (const t0 = performance.now(); workerProcesses > 0;) {
  if ((await hub.ctx.queues.queues.identify.getWorkersCount()) >= workerProcesses) break;
  if (performance.now() - t0 > 120_000) throw new Error('worker processes did not start');
  await new Promise((r) => setTimeout(r, 200));
}
const dir = mkdtempSync(path.join(tmpdir(), 'bench-push-'));
const workFile = path.join(dir, 'work.json');
writeFileSync(workFile, JSON.stringify(work));

// How long the hub's event loop was held (the hub runs in this process): a request waits that long.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
const cpu0 = process.cpuUsage();
const workerCpu = () => workers.reduce((sum, w) => sum + processCpuSeconds(w.pid ?? 0), 0);
const workerCpu0 = workerCpu();
const pg0 = await postgresCpuSeconds(hub);
const started = performance.now();
const load = await new Promise<Record<string, unknown>>((resolve, reject) => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'pushLoad.ts'), hub.url ?? '', String(rate), workFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`load process exited ${code}`))));
});
rmSync(dir, { recursive: true, force: true });
loopDelay.disable();
const eventLoopMs = { p50: Number((loopDelay.percentile(50) / 1e6).toFixed(1)), p99: Number((loopDelay.percentile(99) / 1e6).toFixed(1)), max: Number((loopDelay.max / 1e6).toFixed(1)) };

if (batch > 0) {
  // Intake is what is measured: the window is the load's, the pipeline's backlog is not waited for.
  const cpuB = process.cpuUsage(cpu0);
  const pgB = (await postgresCpuSeconds(hub)) - pg0;
  console.log(JSON.stringify({
    batch, clients: Number(values.clients), seconds, pipeline: values.pipeline, load, eventLoopMs,
    cpuSeconds: { hub: Number(((cpuB.user + cpuB.system) / 1e6).toFixed(1)), postgres: Number(pgB.toFixed(1)) },
  }));
  await Promise.all(workers.map((w) => new Promise((r) => { w.once('exit', r); w.kill('SIGTERM'); })));
  await bench.close();
  process.exit(0);
}
// Wait for the pipeline to drain (bounded): what is still in flight then counts as not routed.
const deadline = performance.now() + drainSeconds * 1000;
for (;;) {
  const [r] = await rows<{ moving: boolean }>(hub.database.db, sql`
    select exists(select 1 from registrations where status in ('accepted', 'validated', 'identified')) as moving`);
  if (!r!.moving || performance.now() > deadline) break;
  await new Promise((res) => setTimeout(res, 100));
}
const drained = performance.now();
const cpu = process.cpuUsage(cpu0);
const pg = (await postgresCpuSeconds(hub)) - pg0;
const workersCpu = workerCpu() - workerCpu0;
const [db] = await rows<{ accepted: number; routed: number; held: number; waiting: number; p50: number | null; p99: number | null; max: number | null }>(hub.database.db, sql`
  select count(*)::int as accepted, count(*) filter (where r.status = 'routed')::int as routed,
    count(*) filter (where r.status = 'held')::int as held,
    count(*) filter (where r.status in ('accepted', 'validated', 'identified'))::int as waiting,
    percentile_cont(0.5) within group (order by extract(epoch from d.created_at - r.created_at) * 1000) as p50,
    percentile_cont(0.99) within group (order by extract(epoch from d.created_at - r.created_at) * 1000) as p99,
    max(extract(epoch from d.created_at - r.created_at) * 1000) as max
  from registrations r left join deliveries d on d.registration_id = r.id`);
const ms = (v: number | null) => (v === null ? null : Math.round(v));
console.log(JSON.stringify({
  rate, seconds, villages: keys.length, workerProcesses, load, eventLoopMs,
  routedMs: { p50: ms(db!.p50), p99: ms(db!.p99), max: ms(db!.max) },
  accepted: db!.accepted, routed: db!.routed, held: db!.held, notRoutedAfterDrain: db!.waiting,
  drainSeconds: Number(((drained - started) / 1000).toFixed(2)),
  cpuSeconds: { hub: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)), workers: Number(workersCpu.toFixed(1)), postgres: Number(pg.toFixed(1)) },
}));

await Promise.all(workers.map((w) => new Promise((r) => { w.once('exit', r); w.kill('SIGTERM'); })));
await bench.close();
