/**
 * What a database error means to the caller. drizzle wraps the driver's error (DrizzleQueryError) and
 * keeps the original on `cause`, so codes are looked for along the whole chain.
 */
function* chain(err: unknown): Generator<Record<string, unknown>> {
  let e = err;
  for (let i = 0; i < 6 && e && typeof e === 'object'; i++) {
    yield e as Record<string, unknown>;
    e = (e as { cause?: unknown }).cause;
  }
}

/** The SQLSTATE (or the driver's own code) of the first error in the chain that has one. */
export function errorCode(err: unknown): string | undefined {
  for (const e of chain(err)) if (typeof e.code === 'string') return e.code;
  return undefined;
}

export const isUniqueViolation = (err: unknown) => [...chain(err)].some((e) => e.code === '23505');

/** Socket and driver codes of a connection that is gone or refused. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting or stopping), too_many_connections
  '57P01', '57P02', '57P03', '53300',
]);

/** True when the database cannot be reached right now (a restart, a failover): retry later, not a bug. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of chain(err)) {
    const code = typeof e.code === 'string' ? e.code : '';
    // SQLSTATE class 08: connection exception.
    if (CONNECTION_CODES.has(code) || /^08/.test(code)) return true;
  }
  return false;
}
