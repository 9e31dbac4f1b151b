import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { HubError } from './problem.js';
import type { KeyStore, Principal, Role } from './keys.js';

declare module 'fastify' {
  interface FastifyRequest { principal: Principal }
}

/** Fixed one-minute windows per key: a village system in a retry loop must not starve the others. */
export class RateLimiter {
  private windows = new Map<number, { start: number; count: number }>();
  constructor(private perMinute: number) {}

  /** Seconds to wait, or 0 when the request may pass. */
  take(keyId: number, now = Date.now()): number {
    const w = this.windows.get(keyId);
    if (!w || now - w.start >= 60_000) {
      if (this.windows.size > 50_000) this.windows.clear();
      this.windows.set(keyId, { start: now, count: 1 });
      return 0;
    }
    w.count += 1;
    return w.count > this.perMinute ? Math.ceil((w.start + 60_000 - now) / 1000) : 0;
  }
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

export function requireKey(keys: KeyStore, limiter: RateLimiter, roles: Role[]): preHandlerAsyncHookHandler {
  const handler = async (req: FastifyRequest, _reply: FastifyReply) => {
    const header = req.headers.authorization;
    if (!header) throw missing;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw missing;
    const principal = await keys.find(m[1]!);
    if (!principal) throw invalid;
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw forbidden(`${ROLE_NAMES[principal.role].id} tidak boleh memakai layanan ini.`, `${ROLE_NAMES[principal.role].en} may not use this endpoint.`);
    }
    const wait = limiter.take(principal.keyId);
    if (wait > 0) {
      throw new HubError(429, 'RATE_LIMITED',
        { id: `Terlalu banyak permintaan; coba lagi dalam ${wait} detik.`, en: `Too many requests; retry in ${wait} seconds.` },
        undefined, undefined, { 'Retry-After': String(wait) });
    }
    req.principal = principal;
  };
  handlerRoles.set(handler, roles);
  return handler;
}
