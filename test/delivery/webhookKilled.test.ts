import t from 'tap';
import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import { setEndpoint } from '../../src/delivery/endpoints.js';
import { startDispatcher } from '../../src/delivery/dispatcher.js';
import { eventually, startTestHub, TEST_REDIS_URL } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';
import { startReceiver } from './receiver.js';
import { runCli } from '../connectors/opendk/fixtures/cli.js';

const th = await startTestHub(t);
const db = th.hub.database.db;

t.test('a sender killed (kill -9) mid-delivery loses nothing: its items are sent again once its lease runs out', async (t) => {
  const village = await th.key('village', { villageCode: PANARAGAN });
  const list = Array.from({ length: 20 }, (_, i) => ({ externalId: `kill-${i}`, service: 'KTP_EL_BARU', applicant: applicant(i, { villageCode: PANARAGAN }) }));
  const res = await fetch(`${th.url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${village}`, 'content-type': 'application/json' }, body: JSON.stringify({ registrations: list }),
  });
  t.equal(res.status, 202);
  await eventually(async () => (await rows<{ n: number }>(db, sql`select count(*)::int as n from deliveries`))[0]!.n === 20);
  // This process stops pushing; the child alone sends, and dies while every request hangs.
  await th.hub.dispatcher!.close();
  let hang = true;
  const rx = await startReceiver(() => (hang ? 'hang' : { status: 200 }));
  t.teardown(() => rx.close());
  await setEndpoint(db, { kind: 'agency', agency: 'disdukcapil', kecamatan: null }, rx.url, 'test', 32);

  const child = spawn(process.execPath, ['--import', 'tsx', 'test/delivery/fixtures/dispatcherProcess.ts'], {
    env: { ...process.env, DATABASE_URL: th.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: th.prefix, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => { child.kill('SIGKILL'); });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); }));
  await eventually(async () => rx.received.length === 20);
  child.kill('SIGKILL');
  const [mid] = await rows<{ sending: number }>(db, sql`select count(*)::int as sending from deliveries where push_state = 'sending'`);
  t.equal(mid!.sending, 20, 'killed with all 20 in flight');

  hang = false;
  const dispatcher = startDispatcher(th.hub.ctx, { timeoutMs: 1500, leaseMarginMs: 500, pollMs: 100 });
  t.teardown(() => dispatcher.close());
  await eventually(async () => (await rows<{ n: number }>(db, sql`select count(*)::int as n from deliveries where push_state = 'delivered' and status = 'acked'`))[0]!.n === 20, 20_000);
  const ids = rx.received.map((r) => String(r.headers['webhook-id']));
  const perId = new Map<string, number>();
  for (const id of ids) perId.set(id, (perId.get(id) ?? 0) + 1);
  t.equal(perId.size, 20, 'every item reached the receiver');
  t.ok([...perId.values()].every((n) => n === 2), 'each sent twice under the same webhook-id (at least once; the receiver drops the repeat)');
  const [attempts] = await rows<{ n: number }>(db, sql`select count(*)::int as n from webhook_attempts where outcome = 'delivered'`);
  t.equal(attempts!.n, 20);
});

t.test('tiyuh-hub webhooks set prints the endpoint secret on its last line', async (t) => {
  const r = await runCli(th, ['webhooks', 'set', '--agency', 'dinsos', '--kecamatan', '18.12.01', '--url', 'http://127.0.0.1:3799/dinsos']);
  t.equal(r.code, 0, r.stderr);
  const secret = r.stdout.trim().split('\n').at(-1)!;
  t.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const [row] = await rows<{ secret: string; kecamatan_code: string; url: string }>(db, sql`
    select secret, kecamatan_code, url from webhook_endpoints where agency_code = 'dinsos'`);
  t.same(row, { secret, kecamatan_code: '181201', url: 'http://127.0.0.1:3799/dinsos' });
  const bad = await runCli(th, ['webhooks', 'set', '--agency', 'dinsos', '--kecamatan', '18.12.77', '--url', 'http://127.0.0.1:3799/x']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /KECAMATAN_UNKNOWN: Kecamatan "18.12.77" tidak dikenal/);
  const list = await runCli(th, ['webhooks', 'list']);
  t.match(list.stdout, /dinsos@181201/);
  t.notMatch(list.stdout, /whsec_/, 'list never prints secrets');
});
