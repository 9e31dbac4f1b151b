import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import type { AppDeps } from './app.js';

const ready = {
  type: 'object',
  properties: { status: { enum: ['ready', 'not ready'] }, postgres: { enum: ['ok', 'down'] }, redis: { enum: ['ok', 'down'] } },
} as const;

export const healthRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  app.get('/health', { schema: { summary: 'The process is up', response: { 200: { type: 'object', properties: { status: { const: 'ok' } } } } } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { summary: 'Postgres and Redis answer', response: { 200: ready, 503: ready } } }, async (_req, reply) => {
    const timeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000))]);
    const [pg, redis] = await Promise.allSettled([
      timeout(deps.db.execute(sql`select 1`)),
      timeout(deps.redisPing()),
    ]);
    const body = { postgres: pg.status === 'fulfilled' ? 'ok' : 'down', redis: redis.status === 'fulfilled' ? 'ok' : 'down' };
    return reply.code(body.postgres === 'ok' && body.redis === 'ok' ? 200 : 503).send({ status: body.postgres === 'ok' && body.redis === 'ok' ? 'ready' : 'not ready', ...body });
  });
};
