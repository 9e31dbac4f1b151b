import t from 'tap';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { batchedRedisStore, localShare } from '../../src/api/rateBudget.js';
import { TEST_REDIS_URL } from '../helpers/hub.js';

// The per-key budgets' store against the machine's Redis: counted in batches far from the budget,
// exactly near it, over several processes (here: stores on their own connections).
const connections: Redis[] = [];
const connect = () => { const r = new Redis(TEST_REDIS_URL); connections.push(r); return r; };
t.teardown(() => { for (const r of connections) r.disconnect(); });
const namespace = () => `test-${randomBytes(4).toString('hex')}:ratelimit:`;
const incr = (store: { incr: (k: string, cb: (e: Error | null, r?: { current: number; ttl: number }) => void, w: number, m: number) => void }, key: string, max: number) =>
  new Promise<{ current: number; ttl: number }>((resolve, reject) => store.incr(key, (e, r) => (e ? reject(e) : resolve(r!)), 60_000, max));

t.test('far from the budget: answered at once, sent to Redis in one pipeline per interval', async (t) => {
  const redis = connect();
  const ns = namespace();
  const Store = batchedRedisStore(redis, ns, 50);
  const store = new Store().child();
  const sent: string[] = [];
  const monitor = await connect().monitor();
  monitor.on('monitor', (_time: string, args: string[]) => { if (args[0]?.toLowerCase() === 'evalsha' || args[0]?.toLowerCase() === 'eval') sent.push(args.join(' ')); });
  const answers = [];
  for (let i = 0; i < 100; i++) answers.push(await incr(store, 'key1', 1_000_000));
  t.same(answers.map((a) => a.current), Array.from({ length: 100 }, (_, i) => i + 1), 'each request its own count');
  t.ok(answers.every((a) => a.ttl > 59_000 && a.ttl <= 60_000));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await redis.get(`${ns}key1`), '100', 'Redis holds the count');
  t.ok(sent.length >= 1 && sent.length <= 3, `a few scripts for 100 requests, not 100 (${sent.length})`);
  const pttl = await redis.pttl(`${ns}key1`);
  t.ok(pttl > 58_000 && pttl <= 60_000, 'the window set on the key');
  monitor.disconnect();
});

t.test('a small budget is exact over processes: 150 requests at once against 60, exactly 60 pass', async (t) => {
  const ns = namespace();
  const a = new (batchedRedisStore(connect(), ns, 50))().child();
  const b = new (batchedRedisStore(connect(), ns, 50))().child();
  t.equal(localShare(60).unsent, 0, 'every request counted in Redis first');
  const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => incr(i % 2 ? a : b, 'key7', 60)));
  t.equal(answers.filter((r) => r.current <= 60).length, 60, 'the budget exact over both processes');
  t.equal(await connect().get(`${ns}key7`), '150', 'Redis counted every request once');
});

t.test('a large budget, a burst over two processes: at least the budget passes, past it by at most their unsent share', async (t) => {
  const ns = namespace();
  const max = 2000;
  const { unsent } = localShare(max);
  t.ok(unsent >= 10, `some counted locally (${unsent} a key at a time)`);
  const a = new (batchedRedisStore(connect(), ns, 50))().child();
  const b = new (batchedRedisStore(connect(), ns, 50))().child();
  const answers = await Promise.all(Array.from({ length: 2400 }, (_, i) => incr(i % 2 ? a : b, 'key8', max)));
  const passed = answers.filter((r) => r.current <= max).length;
  t.ok(passed >= max && passed <= max + 2 * unsent, `${passed} passed of a budget of ${max}`);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(await connect().get(`${ns}key8`), '2400', 'Redis counted every request once');
});

t.test('counted in Redis first, Redis away: the request is told (the hub passes it) and counted here', async (t) => {
  const ns = namespace();
  const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  connections.push(down);
  const store = new (batchedRedisStore(down, ns, 50))().child();
  await t.rejects(incr(store, 'key9', 60), 'an error: skipOnError lets the request pass');
  await t.rejects(incr(store, 'key9', 60));
  const peek = await new Promise<{ current: number }>((resolve) => store.read('key9', (_e, r) => resolve(r!)));
  t.equal(peek.current, 2, 'every request still counted in this process');
});
