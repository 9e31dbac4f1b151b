import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type HubConfig } from '../config/load.js';
import type { Env } from '../config/env.js';
import { openDatabase, type Database } from '../db/client.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { statisticsSettled } from '../db/statistics.js';
import { arrayParam, jsonTexts } from '../db/sqlArrays.js';
import { buildApp } from '../api/app.js';
import { StageQueues } from '../pipeline/queues.js';
import { startWorkers, type PipelineWorkers } from '../pipeline/worker.js';
import { startSyncWorkers, type SyncWorkers } from '../connectors/sync/worker.js';
import { registerSyncSchedules } from '../connectors/sync/schedules.js';
import type { PipelineContext } from '../pipeline/context.js';
import { startDispatcher, type Dispatcher } from '../delivery/dispatcher.js';
import { DEFAULT_RETRY } from '../delivery/backoff.js';
import { startStatsRefresher } from '../stats/refresh.js';
import type { Logger } from './logger.js';
import { producerConnection, RedisUnavailableError, resolveRedis, workerConnection, type RedisEndpoint } from './redis.js';

export interface Hub {
  env: Env;
  config: HubConfig;
  database: Database;
  redis: RedisEndpoint;
  ctx: PipelineContext;
  app?: FastifyInstance;
  workers?: PipelineWorkers;
  syncWorkers?: SyncWorkers;
  /** Webhook pushes to agencies and villages (runs with the workers). */
  dispatcher?: Dispatcher;
  /** The address the API listens on, when it does. */
  url?: string;
  close(): Promise<void>;
}

/** config/sources.json is the truth for what a source is; the table adds what the hub learns (cursor, last run). */
async function syncSources(hub: { database: Database; config: HubConfig }): Promise<void> {
  const s = hub.config.sources;
  if (s.length === 0) return;
  await hub.database.db.execute(sql`
    insert into sources (id, name, village_code, kecamatan_code, connector, enabled, schedule, settings)
    select u.id, u.name, u.village, u.kec, u.connector, u.enabled, u.schedule, u.settings::jsonb
    from unnest(${arrayParam(s.map((x) => x.id), 'text')}, ${arrayParam(s.map((x) => x.name ?? null), 'text')},
      ${arrayParam(s.map((x) => x.villageCode ?? null), 'text')}, ${arrayParam(s.map((x) => x.kecamatanCode ?? x.villageCode?.slice(0, 6) ?? null), 'text')},
      ${arrayParam(s.map((x) => x.connector), 'text')}, ${arrayParam(s.map((x) => x.enabled), 'bool')},
      ${arrayParam(s.map((x) => x.schedule ?? null), 'text')}, ${arrayParam(jsonTexts(s.map((x) => x.settings)), 'text')})
      as u(id, name, village, kec, connector, enabled, schedule, settings)
    on conflict (id) do update set name = excluded.name, village_code = excluded.village_code, kecamatan_code = excluded.kecamatan_code,
      connector = excluded.connector, enabled = excluded.enabled, schedule = excluded.schedule, settings = excluded.settings, updated_at = now()`);
}

/**
 * A hub started (or brought back by its supervisor) while Postgres restarts waits for it instead of
 * exiting: the supervisor would only start it again into the same wait.
 */
async function migrateWhenReachable(database: Database, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await database.migrate();
      return;
    } catch (err) {
      if (!isDatabaseUnavailable(err) || attempt >= 120) throw err;
      if (attempt % 10 === 0) log.warn({ err }, 'waiting for the database');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export interface StartOptions {
  api: boolean;
  workers: boolean;
  /** Overrides env.port; 0 picks a free port. */
  port?: number;
  /** Told each start-up step in words, with the seconds since start (a first start on embedded data takes several). */
  onStep?: (text: string, seconds: number) => void;
  /** Adds routes before the API listens (the CLI's control endpoint). */
  extendApp?: (app: FastifyInstance, hub: { ctx: PipelineContext; database: Database }) => Promise<void>;
}

/** Whether an embedded data directory has never been initialised: the first start creates and migrates it (~10 s). */
function firstStart(env: Env): boolean {
  if (env.databaseUrl) return false;
  try {
    return readdirSync(path.join(env.dataDir, 'pglite')).length === 0;
  } catch {
    return true;
  }
}

/** Loads and checks config, opens Postgres (or PGlite) and Redis, migrates, then starts the API and/or workers. */
export async function startHub(env: Env, log: Logger, opts: StartOptions): Promise<Hub> {
  const began = performance.now();
  const step = (text: string) => opts.onStep?.(text, (performance.now() - began) / 1000);
  const config = loadConfig(env.configDir);
  const fresh = firstStart(env);
  step(env.databaseUrl ? 'connecting to Postgres'
    : `opening the embedded database in ${path.join(env.dataDir, 'pglite')}${fresh ? ' (first start: creating it, about 10 s)' : ''}`);
  const database = await openDatabase(env.databaseUrl, env.dataDir, {
    lock: { longRunning: opts.api || opts.workers, waitMs: 30_000, onWait: (h) => step(`waiting for process ${h.pid} (${h.command}) to let go of the embedded database`) },
  });
  // A background ANALYZE (noteBulkWrite) still running would fail on the closed pool and say so.
  const cleanups: (() => Promise<unknown>)[] = [async () => { await statisticsSettled(database.db); await database.close(); }];
  let closing: Promise<void> | null = null;
  const closeAll = () => (closing ??= (async () => {
    for (const c of [...cleanups].reverse()) await c().catch(() => {});
  })());
  try {
    step(fresh ? 'creating tables (migrations)' : 'checking migrations');
    await migrateWhenReachable(database, log);
    await syncSources({ database, config });
    step(env.redisUrl ? 'connecting to Redis' : 'looking for Redis on 127.0.0.1:6379, else starting a redis-server child');
    const redis = await resolveRedis(env.redisUrl, env.dataDir, log);
    step(`Redis: ${redis.describe}`);
    if (redis.child) cleanups.push(async () => { redis.child!.kill('SIGTERM'); });
    const producer: Redis = producerConnection(redis.url);
    try {
      // ioredis keeps reconnecting after a failed attempt: a Redis slow to answer at start (a loaded
      // machine, a container starting) gets 20 s before the hub gives up.
      await new Promise<void>((resolve, reject) => {
        let last: Error | undefined;
        const remember = (err: Error) => { last = err; };
        const timer = setTimeout(() => { producer.off('error', remember); reject(last ?? new Error('no answer in 20 s')); }, 20_000);
        producer.on('error', remember);
        producer.once('ready', () => { clearTimeout(timer); producer.off('error', remember); resolve(); });
      });
    } catch (err) {
      producer.disconnect();
      throw new RedisUnavailableError(`Redis (${redis.describe}) did not answer: ${(err as Error).message}. Is it running and reachable?`);
    }
    cleanups.push(() => producer.quit());
    const queues = new StageQueues(producer, env.queuePrefix, { attempts: env.stageAttempts, backoff: { type: 'exponential', delay: env.stageBackoffMs } });
    cleanups.push(() => queues.close());
    const ctx: PipelineContext = { db: database.db, config, queues, log };
    const hub: Hub = { env, config, database, redis, ctx, close: closeAll };

    // The API listens first: intake needs no identity index, so it answers while the workers start
    // and the index builds in the background (identify waits for it).
    if (opts.api) {
      step('starting the API');
      const app = await buildApp({
        db: database.db, reusingPlans: database.reusingPlans, config, queues, log, redisPing: () => producer.ping(), rateLimitPerMinute: env.rateLimitPerMinute,
        backlogLimit: env.pipelineBacklogLimit, redis: producer, redisPrefix: env.queuePrefix, corsOrigins: env.corsOrigins,
      });
      await opts.extendApp?.(app, { ctx, database });
      hub.url = await app.listen({ port: opts.port ?? env.port, host: env.host });
      hub.app = app;
      cleanups.push(() => app.close());
    }
    if (opts.workers) {
      step('starting pipeline workers');
      hub.workers = await startWorkers(ctx, () => workerConnection(redis.url), { concurrency: env.workerConcurrency, sweepEverySeconds: env.sweepEverySeconds });
      cleanups.push(() => hub.workers!.close());
      await registerSyncSchedules(ctx, config.sources);
      hub.syncWorkers = await startSyncWorkers(ctx, () => workerConnection(redis.url));
      cleanups.push(() => hub.syncWorkers!.close());
      hub.dispatcher = startDispatcher(ctx, {
        timeoutMs: env.webhookTimeoutMs,
        retry: { ...DEFAULT_RETRY, baseMs: env.webhookRetryBaseMs, giveUpAfterMs: env.webhookGiveUpHours * 3600_000 },
      });
      cleanups.push(() => hub.dispatcher!.close());
      // Figures follow the data within a minute: what changed is summed every 20 s.
      cleanups.push(startStatsRefresher(database.db, config, log));
    }
    log.info({ database: database.describe, redis: redis.describe, api: hub.url ?? null, workers: opts.workers }, 'tiyuh hub started');
    step(hub.url ? `ready at ${hub.url}` : 'ready');
    return hub;
  } catch (err) {
    await closeAll();
    throw err;
  }
}
