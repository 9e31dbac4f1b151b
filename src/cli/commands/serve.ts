import { randomBytes } from 'node:crypto';
import { loadEnv, type Env } from '../../config/env.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub, type Hub, type StartOptions } from '../../runtime/hub.js';
import { controlRoutes } from '../control/endpoint.js';
import { databaseIdentity, loopbackUrl, removeControlFile, writeControlFile } from '../control/controlFile.js';
import { installCrashGuards, isSupervised, supervise } from '../../runtime/supervisor.js';

/** Stops the hub cleanly on SIGINT/SIGTERM: jobs in flight finish or return to the queue. */
export function closeOnSignal(hub: Hub): Promise<void> {
  return new Promise((resolve) => {
    // Ctrl-C reaches the hub process twice (from the terminal and from its supervisor): the second must
    // not kill it half-way through closing.
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await hub.close();
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Start-up steps in words on stderr, whatever the log level: a first start on embedded data takes seconds. */
export const sayStep = (env: Env) => (text: string, seconds: number) => {
  if (env.logLevel !== 'silent') process.stderr.write(`[tiyuh-hub ${seconds.toFixed(1).padStart(4)} s] ${text}\n`);
};

/**
 * Starts a hub with the API and the CLI's control endpoint, and tells CLI processes where it is
 * (DATA_DIR/hub.json, 0600): from then on `keys`, `import`, `sources` ... run inside this hub.
 */
export async function startServing(env: Env, opts: Omit<StartOptions, 'api' | 'extendApp'> & { logLevel?: Env['logLevel'] }): Promise<Hub> {
  const secret = randomBytes(32).toString('base64url');
  const hub = await startHub(env, createLogger(opts.logLevel ?? env.logLevel), {
    api: true, onStep: sayStep(env), ...opts,
    extendApp: async (app, { ctx, database }) => { await app.register(controlRoutes(secret, ctx, database.describe)); },
  });
  writeControlFile(env.dataDir, {
    pid: process.pid, url: loopbackUrl(hub.url!), secret, database: databaseIdentity(env.databaseUrl, env.dataDir), startedAt: new Date().toISOString(),
  });
  const forget = () => removeControlFile(env.dataDir, secret);
  process.once('exit', forget);
  const close = hub.close;
  hub.close = async () => {
    forget();
    await close();
  };
  return hub;
}

/**
 * `serve` and `worker`: a supervisor process that keeps one hub process running (TIYUH_SUPERVISOR=off
 * runs the hub in this process, for a container runtime or systemd that restarts it themselves).
 */
export async function runSupervised(opts: Pick<StartOptions, 'api' | 'workers'>, announce: (hub: Hub) => void): Promise<number> {
  const env = loadEnv();
  const log = createLogger(env.logLevel);
  if (!isSupervised() && process.env.TIYUH_SUPERVISOR !== 'off') return supervise(log);
  let hub: Hub | null = null;
  installCrashGuards(log, async () => { await hub?.close(); }, () => { hub?.redis.child?.kill('SIGTERM'); });
  hub = opts.api ? await startServing(env, { workers: opts.workers }) : await startHub(env, log, { ...opts, onStep: sayStep(env) });
  announce(hub);
  await closeOnSignal(hub);
  return 0;
}

export default async function serve(_argv: string[]): Promise<number> {
  return runSupervised({ api: true, workers: true }, (hub) => console.error(`Tiyuh Hub listening on ${hub.url} (pid ${process.pid})`));
}
