import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from './logger.js';

/** Set in the child a supervisor starts, so the child runs the hub instead of supervising again. */
export const SUPERVISED_ENV = 'TIYUH_SUPERVISED';

/** Exit code of a process that stopped itself after an error it cannot recover from in place. */
export const EXIT_CRASHED = 70;

/** The embedded database is owned by another hub (src/cli/main.ts): starting again cannot help. */
const EXIT_DATABASE_LOCKED = 3;

export const isSupervised = () => process.env[SUPERVISED_ENV] === '1';

/**
 * Runs this same command in a child process and starts it again whenever it exits without being
 * asked to: a crash of the database driver (postgres.js can throw from a socket callback after a
 * Postgres restart), an out-of-memory kill, a `kill -9`. Restarts back off from 1 s to 30 s while the
 * child keeps dying young, and start at 1 s again once it has run for a minute. SIGINT/SIGTERM go to
 * the child and end both. Resolves with the child's last exit code once stopped.
 */
export function supervise(log: Logger, argv: string[] = process.argv.slice(2)): Promise<number> {
  const script = process.argv[1]!;
  let child: ChildProcess | null = null;
  let stopping = false;
  let delay = 1000;
  let restarts = 0;
  return new Promise((resolve) => {
    const start = () => {
      const startedAt = Date.now();
      child = fork(script, argv, { env: { ...process.env, [SUPERVISED_ENV]: '1' }, execArgv: process.execArgv, stdio: 'inherit' });
      log.info({ pid: child.pid, restarts }, 'supervisor started the hub process');
      child.once('exit', (code, signal) => {
        child = null;
        if (stopping) { resolve(code ?? 0); return; }
        if (code === EXIT_DATABASE_LOCKED) { resolve(code); return; }
        if (Date.now() - startedAt > 60_000) delay = 1000;
        restarts++;
        log.error({ code, signal, restartInMs: delay, restarts }, 'hub process exited; supervisor restarts it');
        setTimeout(start, delay);
        delay = Math.min(30_000, delay * 2);
      });
    };
    const stop = (signal: NodeJS.Signals) => {
      stopping = true;
      if (child) child.kill(signal);
      else resolve(0);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    start();
  });
}

/**
 * In the process that runs the hub: an uncaught exception or rejection is logged PII-safe and ends
 * the process with EXIT_CRASHED (its state is unknown; the supervisor or the container's restart
 * policy brings it back), never silently. A supervised child whose supervisor died stops cleanly
 * instead of running on unsupervised.
 */
export function installCrashGuards(log: Logger, onOrphaned: () => Promise<void>, beforeCrashExit: () => void = () => {}): void {
  const crash = (kind: string) => (err: unknown) => {
    log.fatal({ err }, `${kind}; the process exits and is restarted`);
    try { beforeCrashExit(); } catch { /* exiting anyway */ }
    // pino writes synchronously to stderr/stdout by default, so the line above is out.
    process.exit(EXIT_CRASHED);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
  if (isSupervised() && process.connected) {
    // The channel to the supervisor must not keep a hub that has closed from exiting.
    process.channel?.unref();
    process.once('disconnect', () => {
      log.warn('supervisor gone; stopping');
      void onOrphaned().finally(() => process.exit(0));
    });
  }
}
