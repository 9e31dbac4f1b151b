import { Redis } from 'ioredis';
import type { StageQueues } from '../pipeline/queues.js';
import { SyncError } from './types.js';

/** How many requests a server allows one user in a window (Laravel's `throttle:api`: 60 a minute). */
export interface RateLimit { requests: number; windowMs: number }

/**
 * The requests one account may still send to a server, shared by every source and hub process using the
 * account: the server counts per user, not per source or process.
 */
export interface RequestBudget {
  /** Waits until the account may send one more request, then counts it. */
  take(account: string, limit: RateLimit): Promise<void>;
  /** The server answered 429: nobody sends for this account before `retryAfterMs` has passed. */
  pause(account: string, retryAfterMs: number): Promise<void>;
}

/**
 * A sliding log in Redis (one sorted set per account, Redis's own clock): at most `requests` in any
 * window of `windowMs`, so whichever fixed window the server counts in, it never sees more. Answers
 * 0 when the request may go, else how many milliseconds to wait.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)`;

const PAUSE = `
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], until_ms, 'PX', ARGV[1]) end
return 0`;

/** A little slack on the window: the server's clock and ours disagree by a network round trip or two. */
const SLACK = 1.02;
/** Longer than this and the page job gives up its worker slot and is retried later instead. */
const MAX_WAIT_MS = 90_000;

const budgets = new WeakMap<StageQueues, RequestBudget>();
let sequence = 0;

/** The budget on the hub's Redis (under the hub's key prefix), shared by every process of the hub. */
export function requestBudgetFor(queues: StageQueues): RequestBudget {
  const existing = budgets.get(queues);
  if (existing) return existing;
  // The hub hands its queues the producer's ioredis client; anything else is options to connect with.
  const connection = queues.queues.identify.opts.connection as unknown;
  let own: Redis | null = null;
  const client = (): Redis => (connection instanceof Redis ? connection : (own ??= new Redis({ ...(connection as object), maxRetriesPerRequest: 1 })));
  const keys = (account: string) => [`${queues.prefix}:budget:${account}`, `${queues.prefix}:budget-paused:${account}`];
  const budget: RequestBudget = {
    async take(account, limit) {
      const redis = client();
      const [log, paused] = keys(account);
      const windowMs = Math.ceil(limit.windowMs * SLACK);
      for (let waited = 0; ;) {
        let wait: number;
        try {
          wait = Number(await redis.eval(TAKE, 2, log!, paused!, windowMs, limit.requests, `${process.pid}.${++sequence}.${Date.now()}`));
        } catch (err) {
          throw new SyncError('BUDGET_UNAVAILABLE', `the request budget in Redis did not answer (${(err as Error).message})`, true);
        }
        if (wait <= 0) return;
        if (waited + wait > MAX_WAIT_MS) {
          throw new SyncError('RATE_BUDGET', `the account's ${limit.requests} requests per ${Math.round(limit.windowMs / 1000)} s are spent; retried later`, true);
        }
        await new Promise((r) => setTimeout(r, wait));
        waited += wait;
      }
    },
    async pause(account, retryAfterMs) {
      const redis = client();
      await redis.eval(PAUSE, 1, keys(account)[1]!, Math.max(1, Math.ceil(retryAfterMs))).catch(() => undefined);
    },
  };
  budgets.set(queues, budget);
  return budget;
}
