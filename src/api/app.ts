import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { HubConfig } from '../config/load.js';
import type { Db } from '../db/client.js';
import type { StageQueues } from '../pipeline/queues.js';
import type { Logger } from '../runtime/logger.js';
import cors from '@fastify/cors';
import compress from '@fastify/compress';
import { constants as zlib } from 'node:zlib';
import type { Redis } from 'ioredis';
import { keyRateLimit, type KeyRateLimit } from './auth.js';
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
import { createMetrics, metricsRoutes, observeHttp, type HubMetrics } from './metrics.js';
import { statsRoutes } from './stats.js';
import { aidRoutes } from './aid.js';
import type { PipelineContext } from '../pipeline/context.js';
import { consolePlugin } from '../console/plugin.js';
import { BacklogGauge } from '../pipeline/backlog.js';
import { keepRawJson, storableValue, TooDeepError, MAX_DEPTH } from '../pipeline/intake/storable.js';
import { adminKeyRoutes } from './adminKeys.js';
import { registerOpenApi } from './openapi.js';
import { webhookRoutes } from './webhooks.js';
import { replayRoutes } from './replay.js';

declare module 'fastify' {
  interface FastifySchema { summary?: string; description?: string; tags?: readonly string[] }
}

export interface AppDeps {
  db: Db;
  /** Database.reusingPlans: hot statements whose plan does not depend on their parameters (`db` without one). */
  reusingPlans: Db;
  config: HubConfig;
  queues: StageQueues;
  keys: KeyStore;
  limiter: KeyRateLimit;
  metrics: HubMetrics;
  redisPing: () => Promise<unknown>;
  /** What the intake functions (ingestResidents, replay) need, as the pipeline workers have it. */
  ctx: PipelineContext;
}

export interface BuildOptions {
  db: Db;
  reusingPlans?: Db;
  config: HubConfig;
  queues: StageQueues;
  log: Logger;
  redisPing: () => Promise<unknown>;
  rateLimitPerMinute?: number;
  /** Where the per-key request budgets are counted, shared by every hub process; without it, in memory. */
  redis?: Redis;
  /** Key prefix in that Redis (the queue prefix). */
  redisPrefix?: string;
  /** Browser origins allowed to call the API (CORS); none by default. */
  corsOrigins?: string[];
  /** Records waiting in the pipeline past which intake answers 503; 0: no bound. */
  backlogLimit?: number;
}

/** Where new work enters the hub: refused with 503 while the pipeline's backlog is past its bound. */
const INTAKE_ROUTES = new Set(['/v1/registrations', '/v1/residents', '/v1/imports', '/api/v1/penduduk/storedata']);

/**
 * JSON bodies are parsed here rather than by fastify's parser, to make them storable once for every
 * channel (no `\u0000`, no lone surrogate: Postgres refuses both) and to refuse nesting no record has
 * before anything recursive walks it.
 */
function parseJsonBody(_req: unknown, body: string | Buffer, done: (err: Error | null, value?: unknown) => void): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') {
    done(new HubError(400, 'BODY_EMPTY', { id: 'Isi kiriman kosong.', en: 'The request body is empty.' }));
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    done(new HubError(400, 'BODY_INVALID_JSON', { id: 'Isi kiriman bukan JSON yang sah.', en: 'The request body is not valid JSON.' }));
    return;
  }
  try {
    const clean = storableValue(value, MAX_DEPTH);
    keepRawJson(clean, text);
    done(null, clean);
  } catch (err) {
    if (!(err instanceof TooDeepError)) throw err;
    done(new HubError(400, 'BODY_TOO_DEEP', {
      id: `Isi kiriman bersarang lebih dari ${MAX_DEPTH} tingkat.`, en: `The request body is nested deeper than ${MAX_DEPTH} levels.`,
    }));
  }
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
  // text/plain is not a body the hub reads: 415, not a string that fails validation as 400.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  const backlog = new BacklogGauge(opts.db);
  const backlogLimit = opts.backlogLimit ?? 0;
  if (backlogLimit > 0) {
    app.addHook('onRequest', async (req) => {
      if (req.method !== 'POST' || !INTAKE_ROUTES.has(req.routeOptions.url ?? '')) return;
      const b = await backlog.current();
      if (b.records <= backlogLimit) return;
      // About the time the pipeline needs to work the excess off, within sensible bounds.
      const wait = Math.min(300, Math.max(5, Math.ceil((b.records - backlogLimit) / 2000)));
      throw new HubError(503, 'PIPELINE_BACKLOGGED', {
        id: `Hub sedang menampung ${b.records} data yang belum selesai diproses (batas ${backlogLimit}); kirim ulang dalam ${wait} detik dengan Idempotency-Key yang sama.`,
        en: `The hub has ${b.records} records waiting in its pipeline (bound ${backlogLimit}); retry in ${wait} seconds with the same Idempotency-Key.`,
      }, undefined, undefined, { 'Retry-After': String(wait) });
    });
  }
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, new HubError(404, 'ROUTE_NOT_FOUND', { id: `Alamat ${req.method} ${req.url.split('?')[0]} tidak ada.`, en: `No route ${req.method} ${req.url.split('?')[0]}.` })));
  // Request lines carry no personal data (ids only), but at info level they cost throughput; failures are logged.
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 400) req.log.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request refused');
    else req.log.debug({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  const metrics = createMetrics();
  observeHttp(app, metrics);
  // A browser integration (an agency's web app) is answered only from the origins the kabupaten lists.
  if (opts.corsOrigins?.length) {
    await app.register(cors, {
      origin: opts.corsOrigins, methods: ['GET', 'POST'], allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
      exposedHeaders: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'Idempotent-Replayed'], maxAge: 600,
    });
  }
  // Console pages travel over slow mobile links and JSON answers can be long lists: compressed above
  // 1 KB, brotli at a fast level (its default, 11, costs more server time than it saves on the wire for
  // pages made per request). Request bodies are read as sent: no inflating of what a client uploads.
  await app.register(compress, {
    threshold: 1024, encodings: ['br', 'gzip'], globalDecompression: false,
    brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } },
  });
  const deps: AppDeps = {
    db: opts.db, reusingPlans: opts.reusingPlans ?? opts.db, config: opts.config, queues: opts.queues, redisPing: opts.redisPing, metrics,
    keys: new KeyStore(opts.db),
    limiter: await keyRateLimit(app, { redis: opts.redis, prefix: opts.redisPrefix ?? 'tiyuh', perMinute: opts.rateLimitPerMinute ?? 600 }),
    ctx: { db: opts.db, config: opts.config, queues: opts.queues, log: opts.log },
  };
  app.addHook('onClose', async () => {
    await deps.keys.close().catch((err: unknown) => opts.log.warn({ err }, 'key last-use not written at close'));
  });
  // Before every route: the OpenAPI document is built from the routes as they are registered.
  await registerOpenApi(app);
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
  await app.register(adminKeyRoutes, deps);
  await app.register(statsRoutes, deps);
  await app.register(aidRoutes, deps);
  await app.register(consolePlugin, deps);
  await app.register(webhookRoutes, deps);
  await app.register(replayRoutes, deps);
  return app;
}
