import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { revokeKey } from './keys.js';
import { HubError } from './problem.js';

/** Key administration over HTTP, so a running hub's keys are managed without SQL (admin keys only). */
export const adminKeyRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  app.post<{ Params: { id: number } }>('/v1/admin/keys/:id/revoke', {
    preHandler: requireKey(deps.keys, deps.limiter, ['admin']),
    schema: {
      summary: 'Revoke an API key for good; repeatable (a revoked key keeps its first revocation time)',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } },
      response: { 200: { type: 'object', properties: { id: { type: 'integer' }, keyPrefix: { type: 'string' }, revokedAt: { type: 'string' } } } },
    },
  }, async (req) => {
    const done = await revokeKey(deps.db, req.params.id);
    if (!done) throw new HubError(404, 'NOT_FOUND', { id: 'Kunci API tidak ditemukan.', en: 'API key not found.' }, 'id');
    deps.keys.forget(done.id);
    req.log.info({ keyId: done.id, by: req.principal.keyId }, 'api key revoked');
    return { id: done.id, keyPrefix: done.prefix, revokedAt: done.revokedAt.toISOString() };
  });
};
