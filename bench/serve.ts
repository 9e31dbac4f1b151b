/**
 * Memory of `tiyuh-hub serve` as deployed: the hub in a process of its own (API, pipeline and sync
 * workers together, as `serve` runs them), its resident memory sampled from /proc while it
 *  1. pulls N residents from the simulator (one Gabungan source per kecamatan) and identifies every one
 *     (the identity index then holds every citizen),
 *  2. rests with that index loaded,
 *  3. takes HTTP load: single registration pushes at `--rate` per second for `--seconds` over 20
 *     village keys, while a staff client reads statistics and citizens back to back.
 * Reports the peak resident memory (VmHWM and sampled VmRSS) of each phase. Real Postgres (a fresh
 * database) and Redis.
 * `--heap-snapshot FILE` writes the hub's V8 heap snapshot at rest and FILE.after-load after the load
 * (open them in Chrome DevTools' Memory tab; at 100k residents each is ~250 MB) and reports the heap
 * right after each (`liveHeap`: a snapshot collects garbage first, so this is what is retained).
 *   npm run bench:serve -- --residents 300000 [--rate 500] [--seconds 30] [--heap-snapshot /tmp/hub.heapsnapshot]
 */
import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { createKey } from '../src/api/keys.js';
import { rows } from '../src/db/client.js';
import { generatePopulation } from '../src/synth/population.js';
import { createTestDatabase } from '../test/helpers/database.js';
import { configWithSources, SIM_LOGIN } from '../test/connectors/fixtures/syncConfig.js';
import { BENCH_REDIS_URL, processCpuSeconds } from './benchHub.js';

const { values } = parseArgs({
  options: {
    residents: { type: 'string', default: '300000' }, rate: { type: 'string', default: '500' }, seconds: { type: 'string', default: '30' },
    'heap-snapshot': { type: 'string' },
  },
});
const here = path.dirname(fileURLToPath(import.meta.url));
const total = Number(values.residents);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const snapshotTo = values['heap-snapshot'];

function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
}

const sim = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', '--port', '0', '--warm', '--villages', 'all', '--residents', String(total), '--invalid-every', '0', '--rate-limit', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const simUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  sim.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = / at (http:\/\/\S+)/.exec(out); if (m) resolve(m[1]!); });
  sim.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
});

const kecamatans = ['181201', '181202', '181203', '181204', '181205', '181206', '181207', '181208', '181209'];
const settings = { baseUrl: simUrl, ...SIM_LOGIN, pageSize: 500, rateLimit: { requests: 10_000, windowSeconds: 1 }, pagesPerJob: 6, minPageIntervalMs: 0, timeoutMs: 60_000 };
const configDir = configWithSources(kecamatans.map((k) => ({ id: `gabungan-${k}`, kecamatanCode: k, connector: 'opensid-gabungan', enabled: true, settings })));
const database = await createTestDatabase();
const db = database.database.db;
const prefix = `bench${randomBytes(4).toString('hex')}`;

// The hub as an operator starts it; the supervisor is off so the measured process is the hub itself.
const hubDir = mkdtempSync(path.join(tmpdir(), 'bench-serve-'));
const hub: ChildProcess = spawn(process.execPath, [...(snapshotTo ? ['--heapsnapshot-signal=SIGUSR2'] : []), path.join(here, '../bin/tiyuh-hub.js'), 'serve'], {
  cwd: hubDir,
  env: {
    ...process.env, DATABASE_URL: database.url, REDIS_URL: BENCH_REDIS_URL, QUEUE_PREFIX: prefix, CONFIG_DIR: configDir,
    PORT: '0', LOG_LEVEL: 'warn', TIYUH_SUPERVISOR: 'off', RATE_LIMIT_PER_MINUTE: String(1_000_000_000),
  },
  stdio: ['ignore', 'ignore', 'pipe'],
});
const hubUrl = await new Promise<string>((resolve, reject) => {
  let err = '';
  hub.stderr!.on('data', (d: Buffer) => { err += d.toString(); const m = /listening on (http:\/\/\S+)/.exec(err); if (m) resolve(m[1]!); });
  hub.once('exit', (code) => reject(new Error(`hub exited ${code}: ${err.slice(-2000)}`)));
});
hub.stderr!.pipe(process.stderr);
const pid = hub.pid!;

// Sampled every 100 ms; each phase keeps its own peak of the sampled RSS.
let phasePeak = 0;
const sampler = setInterval(() => { phasePeak = Math.max(phasePeak, memoryOf(pid).rssMb); }, 100);
interface Phase { seconds: number; peakRssMb: number; hwmMb: number; hubCpuSeconds: number; heap: Record<string, number> }
const phases: Record<string, Phase> = {};
/** Where the memory is at the end of a phase, from the hub's own /metrics (V8 heap and off-heap buffers). */
async function heapOf(): Promise<Record<string, number>> {
  const text = await call('GET', '/metrics', staff);
  const mb = (name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / 1048576);
  return {
    heapUsedMb: mb('nodejs_heap_size_used_bytes'), heapTotalMb: mb('nodejs_heap_size_total_bytes'),
    externalMb: mb('nodejs_external_memory_bytes'),
  };
}
async function phase(name: string, run: () => Promise<void>): Promise<void> {
  phasePeak = memoryOf(pid).rssMb;
  const cpu0 = processCpuSeconds(pid);
  const t0 = performance.now();
  await run();
  phasePeak = Math.max(phasePeak, memoryOf(pid).rssMb);
  phases[name] = {
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)), peakRssMb: phasePeak, hwmMb: memoryOf(pid).hwmMb,
    hubCpuSeconds: Number((processCpuSeconds(pid) - cpu0).toFixed(1)), heap: await heapOf(),
  };
}
const startedMb = memoryOf(pid).rssMb;

const staff = (await createKey(db, { role: 'admin', label: 'bench' })).secret;
const call = async (method: string, p: string, key: string, body?: unknown) => {
  const res = await fetch(new URL(p, hubUrl), { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 300)}`);
  return text;
};

await phase('pull and identify', async () => {
  for (const k of kecamatans) await call('POST', `/v1/sources/gabungan-${k}/sync`, staff);
  for (;;) {
    const [x] = await rows<{ running: number; waiting: boolean }>(db, sql`
      select (select count(*)::int from sync_runs where status = 'running') as running,
        exists(select 1 from resident_records where status = 'accepted') as waiting`);
    if (x!.running === 0 && !x!.waiting) break;
    await new Promise((r) => setTimeout(r, 250));
  }
});
const [counts] = await rows<{ residents: number; citizens: number }>(db, sql`
  select (select count(*)::int from resident_records where status = 'identified') as residents, (select count(*)::int from citizens) as citizens`);

await phase('at rest, index loaded', () => new Promise((r) => setTimeout(r, 5000)));
/** Writes the hub's heap snapshot (a full GC first), then reads its heap: what is live, garbage aside. */
async function snapshot(to: string): Promise<Record<string, number>> {
  // Node writes Heap.<date>.<pid>...heapsnapshot into the hub's working directory; done when its size settles.
  hub.kill('SIGUSR2');
  let last = -1;
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const file = readdirSync(hubDir).find((f) => f.endsWith('.heapsnapshot'));
    const size = file ? statSync(path.join(hubDir, file)).size : -1;
    if (file && size > 0 && size === last) {
      renameSync(path.join(hubDir, file), to);
      return heapOf();
    }
    last = size;
  }
}
const live: Record<string, Record<string, number>> = {};
if (snapshotTo) live['at rest'] = await snapshot(snapshotTo);

// Single pushes through bench/pushLoad.ts (a process of its own), reads by a staff client meanwhile.
const villages = readFileSync(path.join(here, '../config/regions.csv'), 'utf8').split('\n')
  .map((l) => l.split(',')).filter((c) => c[2] === 'desa').map((c) => c[0]!.replaceAll('.', '')).filter((_, i) => i % 5 === 0).slice(0, 20);
const keys = await Promise.all(villages.map(async (v) => (await createKey(db, { role: 'village', villageCode: v })).secret));
const people = generatePopulation({ records: Math.round(rate * seconds), seed: 1816 }).records;
const services = ['KTP_EL_BARU', 'KIA', 'LEGALISASI_DOKUMEN', 'PENGANTAR_SKCK', 'SURAT_PINDAH_DATANG'];
const work = people.slice(0, Math.round(rate * seconds)).map((p, i) => ({
  key: keys[i % keys.length]!,
  body: JSON.stringify({
    externalId: `serve-${i}`, service: services[i % services.length],
    applicant: {
      nik: p.nik, kk: p.kk, fullName: p.fullName, sex: p.sex, birthDate: p.birthDate, birthPlace: p.birthPlace ?? 'Panaragan',
      motherName: p.motherName, address: p.address ?? 'Jl. Lintas Sumatera', villageCode: p.villageCode, rt: p.rt, rw: p.rw, dusun: p.dusun,
    },
  }),
}));
const dir = mkdtempSync(path.join(tmpdir(), 'tiyuh-serve-'));
writeFileSync(path.join(dir, 'work.json'), JSON.stringify(work));
const [someCitizen] = await rows<{ id: number }>(db, sql`select id from citizens order by id limit 1`);
let load = '';
let reads = 0;
await phase('HTTP load', async () => {
  const loader = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'pushLoad.ts'), hubUrl, String(rate), path.join(dir, 'work.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  loader.stdout.on('data', (d: Buffer) => { load += d.toString(); });
  const done = new Promise((r) => loader.once('exit', r));
  let loading = true;
  void done.then(() => { loading = false; });
  const paths = ['/v1/stats/villages', '/v1/stats/pyramid', '/v1/stats/quality', '/v1/stats/services', `/v1/citizens/${someCitizen!.id}`];
  while (loading) {
    await call('GET', paths[reads % paths.length]!, staff);
    reads++;
  }
  await done;
});
rmSync(dir, { recursive: true, force: true });
if (snapshotTo) live['after load'] = await snapshot(`${snapshotTo}.after-load`);

clearInterval(sampler);
console.log(JSON.stringify({
  residents: counts!.residents, citizens: counts!.citizens, startedRssMb: startedMb, phases, ...(snapshotTo ? { liveHeap: live } : {}),
  load: JSON.parse(load || '{}') as unknown, staffReads: reads, peakRssMb: memoryOf(pid).hwmMb,
  loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(2))),
}));

hub.kill('SIGTERM');
await new Promise((r) => hub.once('exit', r));
sim.kill('SIGTERM');
const redis = new Redis(BENCH_REDIS_URL);
const left = await redis.keys(`${prefix}:*`);
if (left.length) await redis.del(...left);
await redis.quit();
await database.drop();
rmSync(configDir, { recursive: true, force: true });
rmSync(hubDir, { recursive: true, force: true });
