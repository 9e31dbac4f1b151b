import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { loadConfig, type HubConfig } from '../config/load.js';
import type { Env } from '../config/env.js';
import { openDatabase, type Database } from '../db/client.js';
import { arrayParam, jsonTexts } from '../db/sqlArrays.js';
import { buildApp } from '../api/app.js';
import { StageQueues } from '../pipeline/queues.js';
import { startWorkers, type PipelineWorkers } from '../pipeline/worker.js';
import { startSyncWorkers, type SyncWorkers } from '../connectors/sync/worker.js';
import { registerSyncSchedules } from '../connectors/sync/schedules.js';
import type { PipelineContext } from '../pipeline/context.js';
import { startStatsRefresher } from '../stats/refresh.js';
import type { Logger } from './logger.js';
import { producerConnection, resolveRedis, workerConnection, type RedisEndpoint } from './redis.js';

export interface Hub {
  env: Env;
  config: HubConfig;
  database: Database;
  redis: RedisEndpoint;
  ctx: PipelineContext;
  app?: FastifyInstance;
  workers?: PipelineWorkers;
  syncWorkers?: SyncWorkers;
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

export interface StartOptions {
  api: boolean;
  workers: boolean;
  /** Overrides env.port; 0 picks a free port. */
  port?: number;
}

/** Loads and checks config, opens Postgres (or PGlite) and Redis, migrates, then starts the API and/or workers. */
export async function startHub(env: Env, log: Logger, opts: StartOptions): Promise<Hub> {
  const config = loadConfig(env.configDir);
  const database = await openDatabase(env.databaseUrl, env.dataDir);
  const cleanups: (() => Promise<unknown>)[] = [() => database.close()];
  let closing: Promise<void> | null = null;
  const closeAll = () => (closing ??= (async () => {
    for (const c of [...cleanups].reverse()) await c().catch(() => {});
  })());
  try {
    await database.migrate();
    await syncSources({ database, config });
    const redis = await resolveRedis(env.redisUrl, env.dataDir, log);
    if (redis.child) cleanups.push(async () => { redis.child!.kill('SIGTERM'); });
    const producer: Redis = producerConnection(redis.url);
    await new Promise<void>((resolve, reject) => {
      producer.once('ready', () => resolve());
      producer.once('error', reject);
    });
    cleanups.push(() => producer.quit());
    const queues = new StageQueues(producer, env.queuePrefix);
    cleanups.push(() => queues.close());
    const ctx: PipelineContext = { db: database.db, config, queues, log };
    const hub: Hub = { env, config, database, redis, ctx, close: closeAll };

    if (opts.workers) {
      hub.workers = await startWorkers(ctx, () => workerConnection(redis.url), { concurrency: env.workerConcurrency });
      cleanups.push(() => hub.workers!.close());
      await registerSyncSchedules(ctx, config.sources);
      hub.syncWorkers = await startSyncWorkers(ctx, () => workerConnection(redis.url));
      cleanups.push(() => hub.syncWorkers!.close());
      // Figures follow the data within a minute: what changed is summed every 20 s.
      cleanups.push(startStatsRefresher(database.db, [...config.villages.keys()], log));
    }
    if (opts.api) {
      const app = await buildApp({ db: database.db, config, queues, log, redisPing: () => producer.ping(), rateLimitPerMinute: env.rateLimitPerMinute });
      hub.url = await app.listen({ port: opts.port ?? env.port, host: env.host });
      hub.app = app;
      cleanups.push(() => app.close());
    }
    log.info({ database: database.describe, redis: redis.describe, api: hub.url ?? null, workers: opts.workers }, 'tiyuh hub started');
    return hub;
  } catch (err) {
    await closeAll();
    throw err;
  }
}
