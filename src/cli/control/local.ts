import type { Env } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { openDatabase } from '../../db/client.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { OPERATIONS, type InputOf, type OperationName, type OutputOf } from '../operations/registry.js';
import type { Operation, OperationContext } from '../operations/operation.js';
import { cliActor, type InvokeOptions } from './client.js';

const waiting = (h: { pid: number; command: string }) =>
  process.stderr.write(`waiting for process ${h.pid} (${h.command}) to let go of the embedded database...\n`);

/** No hub runs on this data directory: the operation opens the database (and Redis when it needs it) itself. */
export async function runLocally<N extends OperationName>(env: Env, name: N, input: InputOf<N>, opts: InvokeOptions): Promise<OutputOf<N>> {
  const op = await OPERATIONS[name]() as Operation<InputOf<N>, OutputOf<N>>;
  const progress = opts.onProgress ?? (() => {});
  const lock = { longRunning: false, waitMs: 30_000, onWait: waiting };
  if (op.needs === 'database') {
    const config = loadConfig(env.configDir);
    const database = await openDatabase(env.databaseUrl, env.dataDir, { max: 1, lock });
    try {
      await database.migrate();
      const c: OperationContext = { db: database.db, config, describe: database.describe, actor: cliActor(), progress };
      return await op.run(c, input);
    } finally {
      await database.close();
    }
  }
  const hub = await startHub(env, createLogger(env.logLevel === 'info' ? 'warn' : env.logLevel), { api: false, workers: false });
  try {
    const c: OperationContext = { db: hub.database.db, config: hub.config, describe: hub.database.describe, pipeline: hub.ctx, actor: cliActor(), progress };
    return await op.run(c, input);
  } finally {
    await hub.close();
  }
}
