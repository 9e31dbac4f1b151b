import { pathToFileURL } from 'node:url';
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { UsageError } from './usage.js';

/** Errors the operator can act on are printed as words; anything else is a bug and keeps its stack. */
async function explain(err: unknown): Promise<number | null> {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof UsageError) { console.error(err.message); return 2; }
  const [{ ConfigError }, { EnvError }, { RedisUnavailableError }, { DatabaseLockedError }, { OperationError }] = await Promise.all([
    import('../config/load.js'), import('../config/env.js'), import('../runtime/redis.js'), import('../db/pgliteLock.js'), import('./operations/operation.js'),
  ]);
  if (err instanceof ConfigError) { console.error(`Configuration error: ${err.message}`); return 2; }
  if (err instanceof EnvError || err instanceof RedisUnavailableError) { console.error(err.message); return 2; }
  if (err instanceof DatabaseLockedError) { console.error(err.message); return 3; }
  if (err instanceof OperationError) { console.error(`${err.code}: ${err.message}`); return err.exitCode; }
  return null;
}

export async function main(argv: string[]): Promise<number> {
  const outcome = { exitCode: 0 };
  const program = buildProgram(outcome);
  // Bare `tiyuh-hub` is a request for help, not a mistake.
  if (argv.length === 0) { program.outputHelp(); return 0; }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return outcome.exitCode;
  } catch (err) {
    const code = await explain(err);
    if (code === null) throw err;
    return code;
  }
}

// bin/tiyuh-hub.js calls main(); run directly (node --import tsx src/cli/main.ts ...) it runs itself.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
