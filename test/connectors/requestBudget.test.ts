import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { StageQueues } from '../../src/pipeline/queues.js';
import { requestBudgetFor } from '../../src/connectors/requestBudget.js';
import { TEST_REDIS_URL } from '../helpers/hub.js';

// Two hub processes: each its own Redis connection and queues, the same key prefix.
const prefix = `t${randomBytes(5).toString('hex')}`;
const processes = [0, 1].map(() => {
  const redis = new Redis(TEST_REDIS_URL);
  const queues = new StageQueues(redis, prefix);
  return { redis, queues, budget: requestBudgetFor(queues) };
});
t.teardown(async () => {
  const [p] = processes;
  const keys = await p!.redis.keys(`${prefix}:budget*`);
  if (keys.length) await p!.redis.del(...keys);
  for (const x of processes) { await x.queues.close(); x.redis.disconnect(); }
});
const limit = { requests: 5, windowMs: 1000 };

t.test('one budget per user across processes: the sixth request of a window waits for the window to move', async (t) => {
  const started = Date.now();
  const at: number[] = [];
  await Promise.all(Array.from({ length: 10 }, async (_, i) => {
    await processes[i % 2]!.budget.take('user-a', limit);
    at.push(Date.now() - started);
  }));
  at.sort((a, b) => a - b);
  t.ok(at[4]! < 500, `five at once (${at.slice(0, 5).join(', ')} ms)`);
  t.ok(at[5]! >= 1000, `the sixth after the window (${at[5]} ms)`);
  t.ok(at[9]! < 2000 + 500, 'the other five in the next window');
});

t.test('other users have budgets of their own', async (t) => {
  const started = Date.now();
  for (let i = 0; i < 5; i++) await processes[i % 2]!.budget.take('user-b', limit);
  t.ok(Date.now() - started < 500);
});

t.test('a 429 pauses the user in every process for its Retry-After', async (t) => {
  await processes[0]!.budget.pause('user-c', 800);
  const started = Date.now();
  await processes[1]!.budget.take('user-c', limit);
  t.ok(Date.now() - started >= 750, `waited ${Date.now() - started} ms`);
});
