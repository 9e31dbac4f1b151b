import t from 'tap';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { Queue } from 'bullmq';
import { rows } from '../../src/db/client.js';
import { startSimulator, type SimPermohonan } from '../../src/simulator/server.js';
import { DEMO_LETTER_SERVICES } from '../../src/simulator/demoSources.js';
import { requestSync } from '../../src/connectors/sync/runs.js';
import { syncQueueOf } from '../../src/connectors/sync/queue.js';
import { letterServiceMap, permohonanFromOpensid } from '../../src/connectors/opensidPermohonan.js';
import { queueName } from '../../src/pipeline/queues.js';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { configWithSources, SIM_LOGIN, VILLAGES } from './fixtures/syncConfig.js';

const [VA, VB] = [VILLAGES[0]!, VILLAGES[1]!];
const sim = await startSimulator({ residents: 700, villages: [VA, VB], seed: 11, rateLimit: { requests: 5000, windowMs: 60_000 } });
t.teardown(() => sim.close());
const fast = { minPageIntervalMs: 0, attempts: 4, backoffMs: 40, timeoutMs: 1500, rateLimit: { requests: 5000, windowSeconds: 60 } };
// The OpenSID API's admin login takes a user name; the simulated operator's is their e-mail address.
const ADMIN = { username: SIM_LOGIN.email, password: SIM_LOGIN.password };
// One letter type keyed by its slug: the listing does not carry slugs, so that type stays unmapped here.
const letterServices = { ...DEMO_LETTER_SERVICES, surat_ket_jual_beli_unused: 'PBB_SALINAN_SPPT' };
const desa = (id: string, village: string, extra: Record<string, unknown> = {}) => ({
  id, connector: 'opensid-api', villageCode: village, enabled: true,
  settings: { baseUrl: `${sim.url}/desa/${village}`, ...ADMIN, pageSize: 20, letterServices, ...fast, ...extra },
});
// The applicants' records come from the Database Gabungan: the OpenSID API lists five fields of a resident.
const gabungan = (id: string, village: string) => ({
  id, connector: 'opensid-gabungan', villageCode: village, enabled: true, settings: { baseUrl: sim.url, ...SIM_LOGIN, pageSize: 100, ...fast },
});
const configDir = configWithSources([
  gabungan('gab-a', VA),
  gabungan('gab-b', VB),
  desa('desa-a', VA),
  desa('desa-b', VB, { pageSize: 5 }),
  desa('desa-wrong', VA, { password: 'salah-sandi', letterServices: {} }),
  { id: 'desa-down', connector: 'opensid-api', villageCode: VB, enabled: false, settings: { baseUrl: 'http://127.0.0.1:9/desa', ...ADMIN, ...fast, timeoutMs: 500 } },
]);
const th = await startTestHub(t, {}, { CONFIG_DIR: configDir });
const db = () => th.hub.database.db;
const ctx = () => th.hub.ctx;

async function run(sourceId: string) {
  const r = await requestSync(ctx(), syncQueueOf(ctx().queues), sourceId, 'manual');
  if (r.status !== 'started') throw new Error(`not started: ${JSON.stringify(r)}`);
  return eventually(async () => {
    const [x] = await rows<{ id: number; status: string; pages: number; records_accepted: number; records_quarantined: number; error: string | null; cursor_from: unknown }>(db(), sql`
      select id, status, pages, records_accepted, records_quarantined, error, cursor_from from sync_runs where id = ${r.runId}`);
    return x && x.status !== 'running' ? x : null;
  }, 30_000);
}
const registrations = async (village: string) => rows<{ id: number; external_id: string; status: string; service_code: string; applicant: Record<string, string>; queue: string | null; delivery: string | null }>(db(), sql`
  select r.id, r.external_id, r.status, r.service_code, r.applicant, d.queue, d.status as delivery
  from registrations r left join deliveries d on d.registration_id = r.id where r.village_code = ${village} order by r.id`);
const quarantine = async (village: string) => rows<{ id: number; external_id: string; status: string; codes: string[] }>(db(), sql`
  select id, external_id, status, (select array_agg(e->>'code' order by e->>'code') from jsonb_array_elements(errors) e) as codes
  from quarantine where kind = 'registration' and village_code = ${village} order by id`);

const ext = (p: SimPermohonan) => `permohonan-${p.id}`;
const mapped = (p: SimPermohonan) => p.letter.nama in DEMO_LETTER_SERVICES;
const live = (v: string) => sim.permohonan.get(v)!.filter((p) => p.status !== 5);

t.test('letter types are read by slug, code or name; the status label or either version\'s number marks a cancellation', async (t) => {
  const services = letterServiceMap({ 'surat_ket_kurang_mampu': 'REKOMENDASI_PBI_JK', 'S-07': 'PENGANTAR_SKCK', 'keterangan  KTP dalam proses': 'KTP_EL_BARU' });
  const item = (a: Record<string, unknown>) => permohonanFromOpensid({ id: '9', attributes: { id: 9, nik: '1812014101900001', nama_penduduk: 'Siti', ...a } }, services);
  t.equal(item({ url_surat: 'surat-ket-kurang-mampu', nama_surat: 'Keterangan Kurang Mampu' }).serviceCode, 'REKOMENDASI_PBI_JK');
  t.equal(item({ kode_surat: 's-07', nama_surat: 'Pengantar SKCK' }).serviceCode, 'PENGANTAR_SKCK');
  t.equal(item({ nama_surat: 'Keterangan KTP Dalam Proses' }).serviceCode, 'KTP_EL_BARU');
  const unmapped = item({ nama_surat: 'Keterangan Jual Beli' });
  t.same([unmapped.serviceCode, unmapped.letter, unmapped.externalId], [null, 'Keterangan Jual Beli', 'permohonan-9']);
  t.equal(item({ status: 'Dibatalkan' }).cancelled, true);
  t.equal(item({ status: 'Sedang Diperiksa' }).cancelled, false);
  t.equal(item({ status: 5 }).cancelled, true, 'current OpenSID: 5 Dibatalkan');
  t.equal(item({ status: '9' }).cancelled, true, '2021 API: 9 Dibatalkan');
  t.equal(item({ status: 0 }).cancelled, false);
  t.equal(item({ tanggal: '2026-11-02 09:15:00' }).submittedAt, '2026-11-02T09:15:00+07:00', 'OpenSID wall time is Asia/Jakarta');
  t.equal(item({ tanggal: '2026-11-02T02:15:00.000000Z' }).submittedAt, '2026-11-02T02:15:00.000Z');
});

let claimed = '';
t.test('the letter requests become routed registrations with the applicant\'s record from the Database Gabungan; unmapped letters and unknown applicants are quarantined with their codes', async (t) => {
  const all = sim.permohonan.get(VA)!;
  t.ok(all.some((p) => p.status === 5) && all.some((p) => !mapped(p) && p.status !== 5) && all.some((p) => p.residentId === null && p.status !== 5),
    'the village serves cancelled requests, an unmapped letter type and an applicant from outside its listing');
  const residents = await run('gab-a');
  t.equal(residents.status, 'succeeded', residents.error ?? '');
  t.equal(residents.records_accepted + residents.records_quarantined, sim.villageCounts.get(VA)!);
  const r = await run('desa-a');
  t.equal(r.status, 'succeeded', r.error ?? '');
  t.equal(r.pages, Math.ceil(all.length / 20), 'the requests only: the residents listing is not read');
  t.equal(sim.stats.pageRequests.get(`/desa/${VA}/api/v1/admin/penduduk#1`) ?? 0, 0);
  t.equal(r.records_accepted + r.records_quarantined, live(VA).length, 'every live request counted once; cancelled ones are not registered');

  const regs = await registrations(VA);
  const q = await quarantine(VA);
  const byExt = new Map(regs.map((x) => [x.external_id, x]));
  const qByExt = new Map(q.map((x) => [x.external_id, x]));
  for (const p of all.filter((x) => x.status === 5)) t.notOk(byExt.has(ext(p)) || qByExt.has(ext(p)), `cancelled ${ext(p)} is neither registered nor quarantined`);
  for (const p of live(VA)) {
    const reg = byExt.get(ext(p));
    const bad = qByExt.get(ext(p));
    t.ok(Boolean(reg) !== Boolean(bad), `${ext(p)} is registered or quarantined, once`);
    if (!mapped(p)) t.ok(bad?.codes.includes('LETTER_TYPE_UNMAPPED'), `${ext(p)}: unmapped letter type`);
    if (p.residentId === null) t.ok(bad?.codes.includes('APPLICANT_NOT_FOUND'), `${ext(p)}: applicant from outside the village`);
    if (reg) {
      t.equal(reg.service_code, DEMO_LETTER_SERVICES[p.letter.nama as keyof typeof DEMO_LETTER_SERVICES]);
      t.equal(reg.applicant.nik, p.nik);
      t.equal(reg.applicant.fullName, p.name);
      t.match(reg.applicant, { villageCode: VA, birthDate: /^\d{4}-\d{2}-\d{2}$/ }, 'the applicant is the village\'s resident record');
    }
  }
  t.ok(regs.length >= live(VA).length / 2, `most requests registered (${regs.length} of ${live(VA).length})`);

  // identify → route: each registration reaches its agency queue (or waits for review, for an aid service).
  const routed = await eventually(async () => {
    const list = await registrations(VA);
    return list.every((x) => x.status === 'routed' || x.status === 'held') ? list : null;
  }, 20_000);
  for (const x of routed.filter((y) => y.status === 'routed')) {
    t.equal(x.queue, x.service_code === 'KTP_EL_BARU' ? 'kab:disdukcapil' : x.service_code === 'REKOMENDASI_PBI_JK' ? 'kab:dinsos' : `kec:${VA.slice(0, 6)}:paten`);
  }
  const ktp = routed.filter((x) => x.service_code === 'KTP_EL_BARU');
  t.ok(ktp.length >= 2, 'some requests for disdukcapil');
  const agency = await th.key('agency', { agencyCode: 'disdukcapil' });
  const res = await fetch(`${th.url}/v1/agencies/disdukcapil/items/claim`, {
    method: 'POST', headers: { authorization: `Bearer ${agency}`, 'content-type': 'application/json' }, body: JSON.stringify({ max: 1 }),
  });
  const body = await res.json() as { items: { externalId: string; applicant: { fullName: string } }[] };
  t.equal(body.items.length, 1, 'the agency claims a pulled request');
  claimed = body.items[0]!.externalId;
  t.equal(body.items[0]!.applicant.fullName, byExt.get(claimed)!.applicant.fullName);

  for (const p of all) if (p.nik) t.notOk(th.logs.text.includes(p.nik), 'no applicant NIK in the logs');
  const identify = new Queue(queueName('identify'), { connection: { url: TEST_REDIS_URL }, prefix: th.prefix });
  const jobs = await identify.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed']);
  await identify.close();
  t.ok(jobs.length > 0);
  for (const j of jobs) t.same(Object.keys(j.data).sort(), ['ids', 'kind'], 'identify jobs carry ids only');
});

t.test('a re-pull doubles nothing and quarantines nothing again', async (t) => {
  const regsBefore = await registrations(VA);
  const qBefore = await quarantine(VA);
  const r = await run('desa-a');
  t.equal(r.status, 'succeeded', r.error ?? '');
  t.equal(r.records_accepted + r.records_quarantined, live(VA).length);
  t.same((await registrations(VA)).map((x) => x.id), regsBefore.map((x) => x.id), 'same registrations');
  t.same(await quarantine(VA), qBefore, 'the same open quarantine entries, none added');
});

t.test('a request cancelled at the village is withdrawn from the agency queue while it waits there', async (t) => {
  const regs = await registrations(VA);
  const waiting = regs.find((x) => x.delivery === 'waiting')!;
  t.ok(waiting, 'a request waiting in a queue');
  const claimedReg = regs.find((x) => x.external_id === claimed)!;
  t.equal(claimedReg.delivery, 'claimed');
  const unmapped = (await quarantine(VA)).find((x) => x.status === 'open')!;
  for (const e of [waiting.external_id, unmapped.external_id]) sim.cancelPermohonan(VA, Number(e.replace('permohonan-', '')));
  const r = await run('desa-a');
  t.equal(r.status, 'succeeded', r.error ?? '');
  const after = new Map((await registrations(VA)).map((x) => [x.external_id, x]));
  t.match(after.get(waiting.external_id), { status: 'cancelled', delivery: 'withdrawn' });
  t.match(after.get(claimed), { status: 'routed', delivery: 'claimed' }, 'a request the village did not cancel is untouched');
  t.equal((await quarantine(VA)).find((x) => x.id === unmapped.id)!.status, 'discarded', 'its quarantine entry is closed');
  const audit = await rows<{ actor: string; detail: { afterClaim: boolean; externalId: string } }>(db(), sql`
    select actor, detail from audit_log where action = 'registration.cancel' and target_id = ${String(waiting.id)}`);
  t.equal(audit.length, 1, 'the withdrawal is audited');
  t.match(audit[0], { actor: 'source:desa-a', detail: { afterClaim: false, externalId: waiting.external_id } });
  const agency = await th.key('agency', { agencyCode: waiting.queue!.split(':').at(-1)! });
  const items = await (await fetch(`${th.url}/v1/agencies/${waiting.queue!.split(':').at(-1)}/items?limit=1000`, { headers: { authorization: `Bearer ${agency}` } })).json() as { items: { registrationId: number }[] };
  t.notOk(items.items.some((i) => i.registrationId === waiting.id), 'no longer listed as waiting');
});

t.test('a request cancelled at the village after the agency claimed it is cancelled; the agency keeps the item, marked cancelled', async (t) => {
  const claimedReg = (await registrations(VA)).find((x) => x.external_id === claimed)!;
  t.match(claimedReg, { status: 'routed', delivery: 'claimed' });
  sim.cancelPermohonan(VA, Number(claimed.replace('permohonan-', '')));
  const r = await run('desa-a');
  t.equal(r.status, 'succeeded', r.error ?? '');
  t.match((await registrations(VA)).find((x) => x.id === claimedReg.id), { status: 'cancelled', delivery: 'claimed' });
  const agency = await th.key('agency', { agencyCode: 'disdukcapil' });
  const get = async (path: string) => (await (await fetch(`${th.url}${path}`, { headers: { authorization: `Bearer ${agency}` } })).json()) as { items: { registrationId: number; status: string; cancelledAt: string | null }[] };
  const mine = (list: { items: { registrationId: number; status: string; cancelledAt: string | null }[] }) => list.items.find((i) => i.registrationId === claimedReg.id);
  t.match(mine(await get('/v1/agencies/disdukcapil/items?status=claimed&limit=1000')), { status: 'claimed', cancelledAt: /^\d{4}-\d\d-\d\dT/ }, 'the claimed list shows when it was cancelled');
  t.match(mine(await get('/v1/agencies/disdukcapil/items?status=cancelled')), { status: 'claimed', cancelledAt: String });
  const audit = async () => rows<{ detail: { afterClaim: boolean; deliveryStatus: string } }>(db(), sql`
    select detail from audit_log where action = 'registration.cancel' and target_id = ${String(claimedReg.id)}`);
  const first = await audit();
  t.equal(first.length, 1);
  t.match(first[0]!.detail, { afterClaim: true, deliveryStatus: 'claimed' }, 'audited as a cancellation after claim');
  const again = await run('desa-a');
  t.equal(again.status, 'succeeded', again.error ?? '');
  t.equal((await audit()).length, 1, 'the next pull, which still sees the request cancelled, changes nothing');
});

const requestsB = () => `/desa/${VB}/api/admin/surat/mandiri`;
t.test('a 5xx and a dropped connection on request pages are retried; a page that keeps failing resumes there without loss or doubling', async (t) => {
  const pagesB = Math.ceil(sim.permohonan.get(VB)!.length / 5);
  t.ok(pagesB >= 2, `${pagesB} request pages`);
  t.equal((await run('gab-b')).status, 'succeeded', 'the village\'s residents');
  sim.fault({ kind: 'truncated', path: 'permohonan', page: 1 });
  sim.fault({ kind: '5xx', path: 'permohonan', page: 2, times: 4 });
  const before = new Map(sim.stats.pageRequests);
  const failed = await run('desa-b');
  t.equal(failed.status, 'failed');
  t.match(failed.error, /^SERVER_ERROR: HTTP 500 \(page 2, after 4 attempts\)/);
  const [s] = await rows<{ cursor: unknown }>(db(), sql`select cursor from sources where id = 'desa-b'`);
  t.same(s!.cursor, { page: 2, stream: 'permohonan' }, 'the cursor waits on the failed request page');
  const got = (k: string) => (sim.stats.pageRequests.get(k) ?? 0) - (before.get(k) ?? 0);
  t.equal(got(`${requestsB()}#1`), 2, 'the cut-off page was fetched again');
  const resumed = await run('desa-b');
  t.equal(resumed.status, 'succeeded', resumed.error ?? '');
  t.same(resumed.cursor_from, { page: 2, stream: 'permohonan' });
  t.equal(resumed.pages, pagesB - 1, 'only the remaining request pages');
  t.equal(got(`${requestsB()}#1`), 2, 'page 1 not fetched again');
  t.equal(got(`/desa/${VB}/api/v1/admin/penduduk#1`), 0, 'the residents listing is never read');
  const regs = await registrations(VB);
  const q = await quarantine(VB);
  t.equal(new Set(regs.map((x) => x.external_id)).size, regs.length);
  t.equal(regs.length + q.length, live(VB).length, 'every live request registered or quarantined, once');
  t.equal((await rows<{ n: number }>(db(), sql`select count(*)::int as n from registrations r join quarantine q on q.external_id = r.external_id and q.village_code = r.village_code where r.village_code = ${VB}`))[0]!.n, 0);
});

t.test('POST /v1/sources/:id/check: ok, or the connector\'s code in Indonesian and English; scoped and audited', async (t) => {
  const admin = await th.key('admin');
  const kec = await th.key('kecamatan', { kecamatanCode: VA.slice(0, 6) });
  const otherKec = await th.key('kecamatan', { kecamatanCode: '181205' });
  const village = await th.key('village', { villageCode: VA });
  const call = async (id: string, key: string) => {
    const res = await fetch(`${th.url}/v1/sources/${id}/check`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() as Record<string, unknown> };
  };
  const failedBefore = sim.stats.failedLogins;
  const ok = await call('desa-a', kec);
  t.equal(ok.status, 200);
  t.match(ok.body, { ok: true, detail: /^signed in to the OpenSID API as admin; the village lists \d+ residents$/ });
  const refused = await call('desa-wrong', admin);
  t.equal(refused.status, 502);
  t.match(refused.type, /application\/problem\+json/);
  t.match(refused.body, { code: 'LOGIN_REJECTED', message: { id: /Login ke server desa ditolak/, en: /login refused \(HTTP 401\)/ } });
  t.equal(sim.stats.failedLogins - failedBefore, 1, 'one login attempt');
  const down = await call('desa-down', admin);
  t.equal(down.status, 502, 'a disabled source can be checked');
  t.match(down.body, { code: 'NETWORK', message: { id: /tidak dapat dihubungi/ } });
  t.equal((await call('desa-a', otherKec)).status, 404);
  t.equal((await call('desa-a', village)).status, 403);
  t.equal((await call('no-such', admin)).status, 404);
  const audit = await rows<{ target_id: string; detail: { ok: boolean; code?: string } }>(db(), sql`
    select target_id, detail from audit_log where action = 'source.check' order by id`);
  t.same(audit.map((a) => [a.target_id, a.detail.ok, a.detail.code ?? null]), [['desa-a', true, null], ['desa-wrong', false, 'LOGIN_REJECTED'], ['desa-down', false, 'NETWORK']]);
  t.notOk(JSON.stringify(refused.body).includes('salah-sandi'));
  t.notOk(th.logs.text.includes('salah-sandi'), 'the password never reaches the logs');
});

t.test('tiyuh-hub sources check <id>: exit 0 when it can log in, 1 with the code when not', async (t) => {
  // Not spawnSync: the simulator answers from this process's event loop.
  const cli = (...args: string[]) => new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [path.resolve('bin/tiyuh-hub.js'), 'sources', 'check', ...args], {
      encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, DATABASE_URL: th.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: th.prefix, CONFIG_DIR: configDir, LOG_LEVEL: 'warn' },
    }, (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? -1) : 0, stdout, stderr }));
  });
  const ok = await cli('desa-a');
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /desa-a: ok, signed in to the OpenSID API as admin/);
  const refused = await cli('desa-wrong');
  t.equal(refused.status, 1);
  t.match(refused.stderr, /desa-wrong: LOGIN_REJECTED: login refused/);
  const unknown = await cli('no-such');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /unknown source "no-such"/);
  const [audit] = await rows<{ actor: string }>(db(), sql`select actor from audit_log where action = 'source.check' order by id desc limit 1`);
  t.match(audit!.actor, /^cli:/);
});
