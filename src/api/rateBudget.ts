import type { Redis } from 'ioredis';

/** Adds `n` to a key's count in its window (starting the window when the key is new); answers [count, ms left]. */
const ADD_LUA = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}`;

type Add = (key: string, n: number, windowMs: number) => Promise<[number, number]>;
type Answer = (err: Error | null, res?: { current: number; ttl: number }) => void;

interface Budget {
  /** The key's count in Redis at its last answer (every process's requests). */
  known: number;
  /** Counted here and on their way to Redis. */
  sending: number;
  /** Counted here, not yet sent. */
  pending: number;
  resetAt: number;
}

/**
 * How far a process goes on its own count. A key's last tenth of its budget is always counted in
 * Redis first (exact); below that a process may hold up to `unsent` requests of a key not yet in
 * Redis, a sixteenth of that tenth, so even several processes answering a burst from stale counts
 * pass the budget by at most a few per cent of it. Small budgets (under 160 a window) are always exact.
 */
export function localShare(max: number): { exactFrom: number; unsent: number } {
  const slack = Math.ceil(max / 10);
  return { exactFrom: max - slack, unsent: Math.floor(slack / 16) };
}

/**
 * A @fastify/rate-limit store for budgets shared by every hub process through Redis, counted in
 * batches while a key is far from its budget. The library's Redis store sends one script per
 * request: at 1,000 single pushes/s that round trip was 7.8% of the serving process's CPU and most
 * of Redis' work (a socket write wakes the other process, tens of µs on this VM). Here a request far
 * from the budget is counted locally and the counts of all keys go to Redis together every `flushMs`
 * (one pipeline); near the budget, or with too many of a key's requests not yet sent (localShare),
 * each request is counted in Redis before it is answered, as the library's store does. When Redis
 * does not answer the request passes (skipOnError), counted here.
 */
export function batchedRedisStore(redis: Redis, namespace: string, flushMs = 100) {
  const command = 'hubRateBudgetAdd';
  if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: 1, lua: ADD_LUA });
  const add: Add = (key, n, windowMs) => (redis as unknown as Record<string, Add>)[command]!(key, n, windowMs);

  return class BatchedRedisStore {
    private readonly budgets = new Map<string, Budget>();
    private timer: NodeJS.Timeout | null = null;
    private flushing = false;
    private windowMs = 60_000;

    /** One budget per key whatever the route (the hub's limiter is not per route). */
    child(): BatchedRedisStore {
      return new BatchedRedisStore();
    }

    incr(id: string, cb: Answer, timeWindow: number, max: number): void {
      const now = Date.now();
      this.windowMs = timeWindow;
      const key = namespace + id;
      let b = this.budgets.get(key);
      if (!b || now >= b.resetAt) {
        b = { known: 0, sending: 0, pending: 0, resetAt: now + timeWindow };
        this.budgets.set(key, b);
      }
      const counted = b.known + b.sending + b.pending;
      const share = localShare(max);
      if (counted < share.exactFrom && b.sending + b.pending < share.unsent) {
        b.pending++;
        this.schedule();
        cb(null, { current: counted + 1, ttl: b.resetAt - now });
        return;
      }
      // Near the budget: counted in Redis now, with what this process has not sent yet.
      const budget = b;
      const n = budget.pending + 1;
      budget.pending = 0;
      budget.sending += n;
      add(key, n, timeWindow).then(([count, ttl]) => {
        budget.sending -= n;
        budget.known = count;
        budget.resetAt = Date.now() + ttl;
        cb(null, { current: count, ttl });
      }, (err: Error) => {
        budget.sending -= n;
        budget.known += n;
        cb(err);
      });
    }

    read(id: string, cb: Answer): void {
      const b = this.budgets.get(namespace + id);
      const now = Date.now();
      if (!b || now >= b.resetAt) return cb(null, { current: 0, ttl: 0 });
      cb(null, { current: b.known + b.sending + b.pending, ttl: b.resetAt - now });
    }

    private schedule(): void {
      if (this.timer || this.flushing) return;
      this.timer = setTimeout(() => { this.timer = null; void this.flush(); }, flushMs);
      this.timer.unref();
    }

    /** Sends every key's pending count in one pipeline; one flush at a time, so answers come back in order. */
    private async flush(): Promise<void> {
      this.flushing = true;
      const now = Date.now();
      const sent: [string, Budget, number][] = [];
      for (const [key, b] of this.budgets) {
        if (b.pending > 0) {
          sent.push([key, b, b.pending]);
          b.sending += b.pending;
          b.pending = 0;
        } else if (b.sending === 0 && now >= b.resetAt) {
          this.budgets.delete(key);
        }
      }
      try {
        if (sent.length === 0) return;
        const pipeline = redis.pipeline();
        for (const [key, , n] of sent) (pipeline as unknown as Record<string, (...a: unknown[]) => unknown>)[command]!(key, n, this.windowMs);
        const answers = (await pipeline.exec()) ?? [];
        sent.forEach(([, b, n], i) => {
          b.sending -= n;
          const [err, res] = answers[i] ?? [new Error('no answer'), null];
          if (err || !Array.isArray(res)) {
            b.known += n;
            return;
          }
          b.known = Number(res[0]);
          b.resetAt = Date.now() + Number(res[1]);
        });
      } catch {
        // Redis away: the counts stay here (known), as the request-time path does.
        for (const [, b, n] of sent) { b.sending -= n; b.known += n; }
      } finally {
        this.flushing = false;
        if ([...this.budgets.values()].some((b) => b.pending > 0)) this.schedule();
      }
    }
  };
}
