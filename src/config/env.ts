import { Ajv } from 'ajv';
import path from 'node:path';

/** Everything the process reads from its environment, validated once at start. */
export interface Env {
  port: number;
  host: string;
  /** Unset: embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  /** Unset: 127.0.0.1:6379 when it answers, else a redis-server child under dataDir. */
  redisUrl: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dataDir: string;
  configDir: string;
  /** BullMQ key prefix: lets several hubs (or test files) share one Redis. */
  queuePrefix: string;
  workerConcurrency: number;
  /** Requests a minute per API key before 429. */
  rateLimitPerMinute: number;
  /** Records waiting in the pipeline past which intake answers 503 with Retry-After; 0: no bound. */
  pipelineBacklogLimit: number;
  /** Seconds between recovery sweeps (a record is re-driven after twice this without progress). */
  sweepEverySeconds: number;
  /** Attempts of a stage job, and the first retry's delay (doubling); then the sweep re-drives. */
  stageAttempts: number;
  stageBackoffMs: number;
  /** Webhook pushes: request timeout, first retry wait (doubling with jitter), when to park an item as failed. */
  webhookTimeoutMs: number;
  webhookRetryBaseMs: number;
  webhookGiveUpHours: number;
  /** Browser origins allowed by CORS (CORS_ORIGINS, comma-separated); empty: no CORS answer. */
  corsOrigins: string[];
}

const schema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    REDIS_URL: { type: 'string', pattern: '^rediss?://' },
    LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    CONFIG_DIR: { type: 'string', minLength: 1, default: './config' },
    QUEUE_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9_:-]{1,64}$', default: 'tiyuh' },
    WORKER_CONCURRENCY: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
    RATE_LIMIT_PER_MINUTE: { type: 'integer', minimum: 1, default: 600 },
    PIPELINE_BACKLOG_LIMIT: { type: 'integer', minimum: 0, default: 200000 },
    SWEEP_EVERY_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 10 },
    STAGE_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 50, default: 8 },
    STAGE_BACKOFF_MS: { type: 'integer', minimum: 10, maximum: 600000, default: 500 },
    WEBHOOK_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 120000, default: 10000 },
    WEBHOOK_RETRY_BASE_MS: { type: 'integer', minimum: 1, maximum: 3600000, default: 10000 },
    WEBHOOK_GIVE_UP_HOURS: { type: 'number', exclusiveMinimum: 0, maximum: 720, default: 24 },
    CORS_ORIGINS: { type: 'string', pattern: '^\\s*(https?://[^\\s,/]+\\s*(,\\s*https?://[^\\s,/]+\\s*)*)?$' },
  },
} as const;

const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true });
const check = ajv.compile(schema);

export class EnvError extends Error {}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (!check(raw)) {
    const reasons = (check.errors ?? []).map((e) => `${e.instancePath.slice(1) || 'env'} ${e.message}`);
    throw new EnvError(`Invalid environment: ${reasons.join('; ')}`);
  }
  const v = raw as Record<string, string | number | undefined>;
  return {
    port: v.PORT as number,
    host: v.HOST as string,
    databaseUrl: v.DATABASE_URL as string | undefined,
    redisUrl: v.REDIS_URL as string | undefined,
    logLevel: v.LOG_LEVEL as Env['logLevel'],
    dataDir: path.resolve(v.DATA_DIR as string),
    configDir: path.resolve(v.CONFIG_DIR as string),
    queuePrefix: v.QUEUE_PREFIX as string,
    workerConcurrency: v.WORKER_CONCURRENCY as number,
    rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE as number,
    pipelineBacklogLimit: v.PIPELINE_BACKLOG_LIMIT as number,
    sweepEverySeconds: v.SWEEP_EVERY_SECONDS as number,
    stageAttempts: v.STAGE_ATTEMPTS as number,
    stageBackoffMs: v.STAGE_BACKOFF_MS as number,
    webhookTimeoutMs: v.WEBHOOK_TIMEOUT_MS as number,
    webhookRetryBaseMs: v.WEBHOOK_RETRY_BASE_MS as number,
    webhookGiveUpHours: v.WEBHOOK_GIVE_UP_HOURS as number,
    corsOrigins: String(v.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
  };
}
