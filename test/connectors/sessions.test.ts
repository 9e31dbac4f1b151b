import t from 'tap';
import { sql } from 'drizzle-orm';
import { openDatabase, rows } from '../../src/db/client.js';
import { startSimulator } from '../../src/simulator/server.js';
import { sessionStoreFor } from '../../src/connectors/sessions.js';
import { authorizedGet, checkLogin } from '../../src/connectors/tokenSession.js';
import { gabunganConnector, gabunganLogin, type GabunganSettings } from '../../src/connectors/gabungan.js';
import { checkedSettings } from '../../src/connectors/settings.js';
import { requestBudgetFor } from '../../src/connectors/requestBudget.js';
import { requestSync } from '../../src/connectors/sync/runs.js';
import { syncQueueOf } from '../../src/connectors/sync/queue.js';
import { eventually, startTestHub } from '../helpers/hub.js';
import { configWithSources, SIM_LOGIN, VILLAGES } from './fixtures/syncConfig.js';

// The simulator's Gabungan signin deletes the user's older tokens, as Sanctum's AuthController does.
// Its address lockout lasts 1.5 s instead of 10 minutes, so "ten minutes later" can be waited for.
const sim = await startSimulator({ residents: 600, villages: VILLAGES, seed: 11, lockoutMs: { gabungan: 1500 } });
t.teardown(() => sim.close());
const settings = { baseUrl: sim.url, ...SIM_LOGIN, pageSize: 50, minPageIntervalMs: 0, attempts: 3, backoffMs: 40, timeoutMs: 2000 };
const th = await startTestHub(t, {}, {
  CONFIG_DIR: configWithSources([
    ...VILLAGES.map((v) => ({ id: `gab-${v}`, connector: 'opensid-gabungan', villageCode: v, enabled: true, settings })),
    { id: 'gab-old-password', connector: 'opensid-gabungan', villageCode: VILLAGES[0], enabled: true, settings: { ...settings, password: 'sandi-lama' } },
  ]),
});
const loginOf = (extra: Record<string, unknown> = {}) => gabunganLogin(checkedSettings<GabunganSettings>(gabunganConnector.settingsSchema, { ...settings, ...extra }));
const spec = loginOf();
const pageUrl = (village: string) => `${sim.url}/api/v1/penduduk?filter[kode_desa]=${village}&sort=nik&page[number]=1&page[size]=5`;

// A second hub process is a second connection pool: its own memory, the same Postgres.
const other = await openDatabase(th.db.url, '', { max: 2 });
t.teardown(() => other.close());
const budget = requestBudgetFor(th.hub.ctx.queues);
const here = { sessions: sessionStoreFor(th.hub.ctx.db), budget };
const there = { sessions: sessionStoreFor(other.db), budget };

t.test('two processes share one login through Postgres instead of logging each other out', async (t) => {
  const before = sim.stats.logins;
  await authorizedGet(pageUrl(VILLAGES[0]!), spec, here);
  t.equal(sim.stats.logins - before, 1, 'the first request logs in');
  await authorizedGet(pageUrl(VILLAGES[1]!), spec, there);
  t.equal(sim.stats.logins - before, 1, 'the other process takes the stored token');

  await checkLogin(spec, there);
  t.equal(sim.stats.logins - before, 2, 'a check logs in again, which revokes the older token on the server');
  const body = await authorizedGet(pageUrl(VILLAGES[2]!), spec, here) as { data: unknown[] };
  t.equal(body.data.length, 5, 'the process holding the revoked token is refused once, then takes the new one');
  t.equal(sim.stats.logins - before, 2, '...without a login of its own');
  const [stored] = await rows<{ n: number; token: string }>(th.hub.ctx.db, sql`select count(*)::int as n, min(token) as token from login_sessions`);
  t.equal(stored!.n, 1, 'one account, one token');
  t.notOk(th.logs.text.includes(stored!.token), 'the token is never logged');
});

t.test('after the token is revoked elsewhere, processes refused at the same time log in once', async (t) => {
  // Someone else signs in with the same account (the kabupaten's OpenKab, say): every hub token dies.
  await fetch(`${sim.url}/api/v1/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SIM_LOGIN) });
  const before = sim.stats.logins;
  await Promise.all([...VILLAGES, ...VILLAGES].map((v, i) => authorizedGet(pageUrl(v), spec, i % 2 ? here : there)));
  t.equal(sim.stats.logins - before, 1, 'one renewal under the advisory lock, the others take its token');
});

t.test('a source with a wrong password never borrows the token of the right one', async (t) => {
  const wrong = loginOf({ password: 'salah-sandi' });
  await t.rejects(authorizedGet(pageUrl(VILLAGES[0]!), wrong, here), { code: 'LOGIN_REJECTED' });
});

t.test('after three refused logins in ten minutes the hub stops trying, in every process, before the server blocks the account', async (t) => {
  const wrong = loginOf({ password: 'sandi-lama' });
  const before = sim.stats.failedLogins;
  for (const store of [here, there, here]) await t.rejects(authorizedGet(pageUrl(VILLAGES[0]!), wrong, store), { code: 'LOGIN_REJECTED' });
  t.equal(sim.stats.failedLogins - before, 3);
  await t.rejects(authorizedGet(pageUrl(VILLAGES[0]!), wrong, there), { code: 'LOGIN_PAUSED', retryable: false });
  await t.rejects(checkLogin(wrong, here), { code: 'LOGIN_PAUSED' }, 'a check waits too');
  const res = await fetch(`${th.url}/v1/sources/gab-old-password/check`, { method: 'POST', headers: { authorization: `Bearer ${await th.key('admin')}` } });
  t.equal(res.status, 429, 'the check endpoint says so');
  t.match(await res.json(), { code: 'LOGIN_PAUSED', message: { id: /10 menit/ } });
  t.equal(sim.stats.failedLogins - before, 3, 'no fourth attempt reached the server');
  // Ten minutes later the window has passed (here and, 1.5 s on its clock, on the server): one more attempt is allowed.
  await th.hub.ctx.db.execute(sql`update login_sessions set first_failure_at = now() - interval '11 minutes' where token is null`);
  await new Promise((r) => setTimeout(r, 1600));
  await t.rejects(authorizedGet(pageUrl(VILLAGES[0]!), wrong, here), { code: 'LOGIN_REJECTED' });
  t.equal(sim.stats.failedLogins - before, 4);
  const [right] = await rows<{ failures: number }>(th.hub.ctx.db, sql`select failures from login_sessions where token is not null`);
  t.equal(right!.failures, 0, 'the right account is not affected');
});

t.test('sources of one account sync side by side on one login', async (t) => {
  // Everyone's token is revoked again, so each run starts with a refusal.
  await fetch(`${sim.url}/api/v1/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SIM_LOGIN) });
  const before = sim.stats.logins;
  const queue = syncQueueOf(th.hub.ctx.queues);
  const runs: number[] = [];
  for (const v of VILLAGES) {
    const r = await requestSync(th.hub.ctx, queue, `gab-${v}`, 'manual');
    if (r.status !== 'started') throw new Error(r.status);
    runs.push(r.runId);
  }
  const done = await eventually(async () => {
    const list = await rows<{ status: string; error: string | null }>(th.hub.ctx.db, sql`select status, error from sync_runs where id in (${sql.join(runs.map((r) => sql`${r}`), sql`, `)})`);
    return list.every((r) => r.status !== 'running') ? list : null;
  }, 30_000);
  t.same(done.map((r) => r.status), VILLAGES.map(() => 'succeeded'), JSON.stringify(done.map((r) => r.error)));
  t.equal(sim.stats.logins - before, 1, 'three sources, one login');
  const [n] = await rows<{ n: number }>(th.hub.ctx.db, sql`
    select (select count(*) from resident_records)::int + (select count(*) from quarantine)::int as n`);
  t.equal(n!.n, [...sim.villageCounts.values()].reduce((a, b) => a + b, 0), 'every resident pulled once');
});

t.test('refusals of different accounts on one server add up: the hub stops one short of the server blocking its address', async (t) => {
  // The server counts refused logins per address, whichever account (AuthController::throttleKey).
  const before = sim.stats.failedLogins;
  for (const [i, store] of [here, there, here, there].entries()) {
    await t.rejects(authorizedGet(pageUrl(VILLAGES[0]!), loginOf({ password: `salah-${i}` }), store), { code: 'LOGIN_REJECTED' });
  }
  t.equal(sim.stats.failedLogins - before, 4);
  await t.rejects(authorizedGet(pageUrl(VILLAGES[0]!), loginOf({ password: 'salah-4' }), here), { code: 'LOGIN_PAUSED', message: /any account/ });
  await t.rejects(checkLogin(spec, there), { code: 'LOGIN_PAUSED' }, 'the right account waits too: a fifth refusal would block it on the server');
  t.equal(sim.stats.failedLogins - before, 4, 'the server never saw a fifth refusal');
  t.equal(sim.stats.lockedLogins, 0);
});

t.test('when the server already blocks the address (403), every account of that server waits for its window', async (t) => {
  await th.hub.ctx.db.execute(sql`update login_sessions set first_failure_at = now() - interval '11 minutes' where token is null or failures > 0`);
  await new Promise((r) => setTimeout(r, 1600));
  // Someone else at the hub's address (an operator's browser behind the same NAT) fails five times.
  for (let i = 0; i < 5; i++) {
    await fetch(`${sim.url}/api/v1/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: SIM_LOGIN.email, password: `x${i}` }) });
  }
  await t.rejects(checkLogin(spec, here), { code: 'LOGIN_LOCKED', retryable: false });
  t.equal(sim.stats.lockedLogins, 1);
  await t.rejects(checkLogin(loginOf({ password: 'lain' }), there), { code: 'LOGIN_PAUSED' }, 'another account is not tried either');
  t.equal(sim.stats.lockedLogins, 1);
  const res = await fetch(`${th.url}/v1/sources/gab-${VILLAGES[0]}/check`, { method: 'POST', headers: { authorization: `Bearer ${await th.key('admin')}` } });
  t.equal(res.status, 429);
  t.match(await res.json(), { code: 'LOGIN_PAUSED' });
});
