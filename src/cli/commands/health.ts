import { loadEnv } from '../../config/env.js';
import { runningHub } from '../control/client.js';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms))]);

/**
 * `tiyuh-hub health`: a container health check. With a hub running on this data directory, its /ready
 * (Postgres and Redis answer); without one (a worker), this process reaches DATABASE_URL and REDIS_URL
 * itself; --hub requires the hub (a hub container still starting is not healthy). Exit 0 healthy, 1 not.
 */
export default async function health(opts: { hub?: boolean }): Promise<number> {
  const env = loadEnv();
  const hub = runningHub(env);
  try {
    if (!hub && opts.hub) {
      console.error('no hub runs on this data directory (yet): DATA_DIR/hub.json is written once the API listens');
      return 1;
    }
    if (hub) {
      const res = await withTimeout(fetch(`${hub.url}/ready`), 5_000);
      console.log(`hub ${hub.url}: ${res.status} ${await res.text()}`);
      return res.ok ? 0 : 1;
    }
    if (!env.databaseUrl || !env.redisUrl) {
      console.error('no hub runs on this data directory, and without DATABASE_URL and REDIS_URL there is nothing else to check');
      return 1;
    }
    const [{ connectPostgres }, { Redis }] = await Promise.all([import('../../db/client.js'), import('ioredis')]);
    const sql = connectPostgres(env.databaseUrl, { max: 1, connect_timeout: 5, onnotice: () => {} });
    const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 5_000 });
    try {
      await withTimeout(sql`select 1`, 5_000);
      await withTimeout(redis.connect().then(() => redis.ping()), 5_000);
      console.log('postgres ok, redis ok');
      return 0;
    } finally {
      redis.disconnect();
      await sql.end({ timeout: 1 });
    }
  } catch (err) {
    console.error(`not healthy: ${(err as Error).message}`);
    return 1;
  }
}
