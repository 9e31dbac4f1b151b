import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { HubConfig } from '../config/load.js';
import type { Db } from '../db/client.js';
import type { StageQueues } from '../pipeline/queues.js';
import type { Logger } from '../runtime/logger.js';
import { RateLimiter } from './auth.js';
import { KeyStore } from './keys.js';
import { errorHandler, HubError, sendProblem } from './problem.js';
import { healthRoutes } from './health.js';
import { catalogueRoutes } from './catalogue.js';
import { registrationRoutes } from './registrations.js';
import { agencyQueueRoutes } from './agencyQueue.js';
import { reviewCaseRoutes } from './reviewCases.js';
import { citizenRoutes } from './citizens.js';
import { residentRoutes } from './residents.js';
import { quarantineRoutes } from './quarantine.js';
import { importRoutes } from './imports.js';
import { opendkRoutes } from '../connectors/opendk/routes.js';
import { sourceRoutes } from './sources.js';
import { metricsRoutes } from './metrics.js';
import { statsRoutes } from './stats.js';
import { aidRoutes } from './aid.js';
import type { PipelineContext } from '../pipeline/context.js';
import { consolePlugin } from '../console/plugin.js';

declare module 'fastify' {
  interface FastifySchema { summary?: string; description?: string; tags?: string[] }
}

export interface AppDeps {
  db: Db;
  config: HubConfig;
  queues: StageQueues;
  keys: KeyStore;
  limiter: RateLimiter;
  redisPing: () => Promise<unknown>;
  /** What the intake functions (ingestResidents, replay) need, as the pipeline workers have it. */
  ctx: PipelineContext;
}

export interface BuildOptions {
  db: Db;
  config: HubConfig;
  queues: StageQueues;
  log: Logger;
  redisPing: () => Promise<unknown>;
  rateLimitPerMinute?: number;
}

/**
 * Body data is checked exactly as sent (no coercion, nothing removed), so a NIK sent as a number is an
 * error rather than a silently rounded string; path and query strings are coerced as usual.
 */
function validators() {
  const strict = new Ajv({ allErrors: true, strict: false });
  const coercing = new Ajv({ allErrors: true, strict: false, coerceTypes: 'array', useDefaults: true });
  addFormats.default(strict);
  addFormats.default(coercing);
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema);
}

/** The hub's HTTP API as an un-started fastify instance; only the server entry listens. */
export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    genReqId: () => Math.random().toString(36).slice(2, 12),
  });
  app.setValidatorCompiler(validators());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, new HubError(404, 'ROUTE_NOT_FOUND', { id: `Alamat ${req.method} ${req.url.split('?')[0]} tidak ada.`, en: `No route ${req.method} ${req.url.split('?')[0]}.` })));
  // Request lines carry no personal data (ids only), but at info level they cost throughput; failures are logged.
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 400) req.log.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request refused');
    else req.log.debug({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  const deps: AppDeps = {
    db: opts.db, config: opts.config, queues: opts.queues, redisPing: opts.redisPing,
    keys: new KeyStore(opts.db), limiter: new RateLimiter(opts.rateLimitPerMinute ?? 600),
    ctx: { db: opts.db, config: opts.config, queues: opts.queues, log: opts.log },
  };
  await app.register(healthRoutes, deps);
  await app.register(catalogueRoutes, deps);
  await app.register(registrationRoutes, deps);
  await app.register(agencyQueueRoutes, deps);
  await app.register(reviewCaseRoutes, deps);
  await app.register(citizenRoutes, deps);
  await app.register(residentRoutes, deps);
  await app.register(quarantineRoutes, deps);
  await app.register(importRoutes, deps);
  await app.register(opendkRoutes, { ...deps, prefix: '/api/v1' });
  await app.register(sourceRoutes, deps);
  await app.register(metricsRoutes, deps);
  await app.register(statsRoutes, deps);
  await app.register(aidRoutes, deps);
  await app.register(consolePlugin, deps);
  return app;
}
