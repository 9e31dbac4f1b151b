import { Redis, type RedisOptions } from 'ioredis';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from './logger.js';

export interface RedisEndpoint {
  url: string;
  /** Set when the hub started its own redis-server; stopped with the hub. */
  child?: ChildProcess;
  describe: string;
}

function answers(host: string, port: number, timeoutMs = 400): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export class RedisUnavailableError extends Error {}

/**
 * REDIS_URL when set; else the machine's Redis on 127.0.0.1:6379 when it answers; else a
 * redis-server child with AOF (everysec) and noeviction under dataDir, so queued work survives a restart.
 */
export async function resolveRedis(redisUrl: string | undefined, dataDir: string, log: Logger): Promise<RedisEndpoint> {
  if (redisUrl) return { url: redisUrl, describe: `redis ${new URL(redisUrl).host}` };
  // A refused connection answers at once; a loaded machine's Redis may take longer than 400 ms, and taking a
  // fresh redis-server child for it would leave the queued work in the other one.
  if (await answers('127.0.0.1', 6379, 2000)) return { url: 'redis://127.0.0.1:6379', describe: 'redis 127.0.0.1:6379 (found running)' };

  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new RedisUnavailableError(
      'No Redis: REDIS_URL is not set, nothing answers on 127.0.0.1:6379 and no redis-server binary was found. ' +
      'Install one (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) or set REDIS_URL.',
    );
  }
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = spawn('redis-server', [
    '--bind', '127.0.0.1', '--port', String(port), '--dir', dir,
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
    '--maxmemory-policy', 'noeviction', '--logfile', path.join(dir, 'redis.log'),
  ], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (await answers('127.0.0.1', port)) {
      log.info({ port, dir }, 'started embedded redis-server');
      return { url: `redis://127.0.0.1:${port}`, child, describe: `embedded redis-server 127.0.0.1:${port} (${dir})` };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new RedisUnavailableError(`redis-server did not start; see ${path.join(dir, 'redis.log')}`);
}

/** Workers block on Redis and must retry forever (BullMQ requires maxRetriesPerRequest: null). */
export function workerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null } satisfies RedisOptions);
}

/** The API's producer fails fast instead: the record is already in Postgres and the sweep will enqueue it. */
export function producerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 } satisfies RedisOptions);
}
