import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { HubError } from './problem.js';
import { batchedRedisStore } from './rateBudget.js';
import type { KeyStore, Principal, Role } from './keys.js';

declare module 'fastify' {
  interface FastifyRequest { principal: Principal }
}

/**
 * Checks a request of a known key against its per-minute budget; throws a 429 HubError past it. Set
 * on the request after the key is known (the budget is per API key, not per address).
 */
export type KeyRateLimit = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * One budget per API key a minute, shared by every hub process through Redis (counted in batches far
 * from the budget, exactly near it: rateBudget.ts), with the IETF draft RateLimit-Limit/-Remaining/-Reset
 * headers. A village system in a retry loop must not starve the others, whichever process it reaches. When Redis does not answer the
 * request passes: Postgres is the truth, and refusing data for want of a counter would lose it.
 */
export async function keyRateLimit(app: FastifyInstance, opts: { redis?: Redis; prefix: string; perMinute: number }): Promise<KeyRateLimit> {
  await app.register(rateLimit, {
    global: false, skipOnError: true, enableDraftSpec: true,
    // Without Redis (tests of one process), the library's in-memory store.
    ...(opts.redis ? { store: batchedRedisStore(opts.redis, `${opts.prefix}:ratelimit:`) } : {}),
  });
  const check = app.rateLimit({
    max: opts.perMinute, timeWindow: 60_000,
    keyGenerator: (req) => `key${req.principal.keyId}`,
    errorResponseBuilder: (_req, ctx) => {
      const wait = String(Math.max(1, Math.ceil(ctx.ttl / 1000)));
      return new HubError(429, 'RATE_LIMITED',
        { id: `Terlalu banyak permintaan; coba lagi dalam ${wait} detik.`, en: `Too many requests; retry in ${wait} seconds.` },
        undefined, undefined, { 'Retry-After': wait });
    },
  });
  return async (req, reply) => { await check.call(app, req, reply); };
}

const missing = new HubError(401, 'AUTH_MISSING',
  { id: 'Kunci API belum dikirim: gunakan header Authorization: Bearer <kunci>.', en: 'No API key: send Authorization: Bearer <key>.' },
  undefined, undefined, { 'WWW-Authenticate': 'Bearer' });
const invalid = new HubError(401, 'AUTH_INVALID',
  { id: 'Kunci API tidak dikenal atau sudah dicabut.', en: 'The API key is unknown or revoked.' },
  undefined, undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

/** A key's role as a person reads it, in each language. */
const ROLE_NAMES: Record<Role, { id: string; en: string }> = {
  admin: { id: 'Kunci admin', en: 'An admin key' },
  village: { id: 'Kunci desa/tiyuh', en: 'A village key' },
  kecamatan: { id: 'Kunci kecamatan', en: 'A kecamatan key' },
  agency: { id: 'Kunci instansi', en: 'An agency key' },
  opendk: { id: 'Token OpenDK', en: 'An OpenDK token' },
};

export function forbidden(id: string, en: string): HubError {
  return new HubError(403, 'AUTH_FORBIDDEN', { id, en });
}

/** A preHandler that admits keys of the given roles (admin keys are admitted everywhere). */
/** The roles each requireKey handler admits, read by the OpenAPI document (security and the keys a route takes). */
export const handlerRoles = new WeakMap<object, Role[]>();

export function requireKey(keys: KeyStore, limiter: KeyRateLimit, roles: Role[]): preHandlerAsyncHookHandler {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    if (!header) throw missing;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw missing;
    const principal = await keys.find(m[1]!);
    if (!principal) throw invalid;
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw forbidden(`${ROLE_NAMES[principal.role].id} tidak boleh memakai layanan ini.`, `${ROLE_NAMES[principal.role].en} may not use this endpoint.`);
    }
    req.principal = principal;
    await limiter(req, reply);
  };
  handlerRoles.set(handler, roles);
  return handler;
}
