import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { HubConfig } from '../../config/load.js';
import type { KeyRateLimit } from '../../api/auth.js';
import type { KeyStore, Principal } from '../../api/keys.js';

/**
 * OpenDK answers a request without a token with Laravel's `{"message":"Unauthenticated."}` and one
 * with a token it does not know with `{"error":"Token not registered"}`; OpenSID shows `message`, so it
 * is given in Indonesian beside OpenDK's own key, and `status: "danger"`, which OpenSID renders red.
 */
export function opendkAuth(keys: KeyStore, limiter: KeyRateLimit): preHandlerAsyncHookHandler {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) {
      reply.code(401).header('WWW-Authenticate', 'Bearer').send({
        status: 'danger', message: 'Unauthenticated. Token OpenDK belum diisi: isi token dari Tiyuh Hub pada Pengaturan OpenDK di OpenSID.',
      });
      return reply;
    }
    const principal = await keys.find(m[1]!);
    if (!principal || (principal.role !== 'opendk' && principal.role !== 'admin')) {
      reply.code(401).send({
        error: 'Token not registered', status: 'danger',
        message: 'Token tidak terdaftar di Tiyuh Hub. Minta token OpenDK dari operator kabupaten (tiyuh-hub tokens create) dan isi pada Pengaturan OpenDK di OpenSID.',
      });
      return reply;
    }
    req.principal = principal;
    // Past the key's budget this throws a 429, answered in OpenDK's shape by the routes' error handler.
    await limiter(req, reply);
  };
}

/** The villages an OpenDK token may write: its village, every village of its kecamatan, or (admin) any. */
export function villagesOf(p: Principal, config: HubConfig): Set<string> | null {
  if (p.role === 'admin') return null;
  if (p.villageCode) return new Set([p.villageCode]);
  const kec = p.kecamatanCode ?? '-';
  return new Set([...config.villages.keys()].filter((v) => v.startsWith(kec)));
}
