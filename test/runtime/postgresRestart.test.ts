import t from 'tap';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { openDatabase, rows } from '../../src/db/client.js';
import { createKey } from '../../src/api/keys.js';
import { startThrowawayPostgres } from '../helpers/throwaway.js';
import { TEST_REDIS_URL } from '../helpers/hub.js';
import { applicant, PANARAGAN } from '../helpers/fixtures.js';
import { spawnHub, waitFor, waitForApi } from '../../bench/drill/processes.js';
import { personalDataFound } from '../../bench/drill/load.js';

// `serve` as an operator runs it (supervised) on a Postgres cluster this test starts and restarts itself;
// the machine's shared Postgres is never touched.
t.test('Postgres away and back: 503 DATABASE_UNAVAILABLE with Retry-After meanwhile, then everything through, the process alive or brought back', async (t) => {
  const pg = await startThrowawayPostgres();
  t.teardown(() => pg.destroy());
  const port = 3352;
  const url = `http://127.0.0.1:${port}`;
  const serve = spawnHub('serve', 'serve', {
    DATABASE_URL: pg.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: `pgr${process.pid}`, PORT: String(port), SWEEP_EVERY_SECONDS: '2',
    DATA_DIR: `/tmp/tiyuh-pgrestart-${process.pid}`,
  });
  t.teardown(async () => {
    await serve.stop();
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`pgr${process.pid}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  await waitForApi(url, 150_000);
  const database = await openDatabase(pg.url, '', { max: 2 });
  t.teardown(() => database.close());
  const key = (await createKey(database.db, { role: 'village', villageCode: PANARAGAN })).secret;
  const people = Array.from({ length: 300 }, (_, i) => applicant(70_000 + i));
  const push = (from: number, to: number, idem: string) => fetch(`${url}/v1/registrations`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idem },
    body: JSON.stringify({ registrations: people.slice(from, to).map((a, i) => ({ externalId: `pg-${from + i}`, service: 'KTP_EL_BARU', applicant: a })) }),
  });

  t.equal((await push(0, 100, 'pg-a')).status, 202, 'accepted before the restart');
  pg.stop('fast');
  // The hub may be restarting (the driver's crash brings the process back, and a restarted hub waits for
  // Postgres before it listens): a client retries a reset connection. Whatever answers must be 503.
  let down: Response | null = null;
  const until = Date.now() + 15_000;
  while (!down && Date.now() < until) {
    down = await push(100, 200, 'pg-b').catch(() => null);
    if (!down) await new Promise((r) => setTimeout(r, 300));
  }
  if (down) {
    t.equal(down.status, 503, 'Postgres away: 503, not 500');
    t.ok(Number(down.headers.get('retry-after')) > 0, 'with Retry-After');
    t.equal(down.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    t.match(await down.json(), { code: 'DATABASE_UNAVAILABLE', status: 503, message: { id: String, en: String } });
  } else {
    t.comment('the hub was coming back from the driver crash for the whole outage: no answer to check');
  }
  pg.start();
  // The same batch again with its Idempotency-Key, as a client honouring Retry-After does.
  const back = await waitFor('accepted again', async () => ((await push(100, 200, 'pg-b').catch(() => null))?.status === 202), 60_000, 500);
  t.ok(back, 'accepted again once Postgres is back, without restarting anything by hand');
  // And a restart under load: pushes in flight while it happens.
  const inFlight = push(200, 300, 'pg-c').catch(() => null);
  pg.restart();
  await inFlight;
  await waitFor('third batch accepted', async () => ((await push(200, 300, 'pg-c').catch(() => null))?.status === 202), 60_000, 500);

  const done = await waitFor('all routed', async () => {
    const [r] = await rows<{ routed: number; deliveries: number }>(database.db, sql`
      select (select count(*)::int from registrations where status = 'routed') as routed, (select count(*)::int from deliveries) as deliveries`);
    return r!.routed === 300 ? r : null;
  }, 90_000, 500);
  t.equal(done.deliveries, 300, 'every registration routed once');
  t.ok(serve.supervisor.exitCode === null, 'the supervisor runs');
  t.equal((await fetch(`${url}/health`)).status, 200, 'the API answers');
  t.same(personalDataFound(serve.output, people), [], 'no NIK, KK or name in the output');
});
