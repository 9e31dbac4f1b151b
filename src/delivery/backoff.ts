/** How long a failed push waits before the next attempt and when it stops trying. */
export interface RetryPolicy {
  /** First wait; each further failure doubles it. */
  baseMs: number;
  /** No single wait is longer. */
  maxDelayMs: number;
  /** After this long since the first attempt the item is parked as failed. */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 10_000, maxDelayMs: 3 * 3600_000, giveUpAfterMs: 24 * 3600_000 };

/**
 * Exponential backoff with "equal jitter": half the doubled delay is fixed, half random, so receivers
 * that failed together (an outage) are not all retried in the same instant.
 */
export function retryDelayMs(policy: RetryPolicy, failures: number, random = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
