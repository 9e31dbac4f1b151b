import type { HubConfig } from '../../config/load.js';
import type { Db } from '../../db/client.js';
import type { PipelineContext } from '../../pipeline/context.js';

/**
 * What a CLI command does to the hub's data, written once and run in either of two places: inside the
 * running hub (reached through its control endpoint, so the embedded database keeps one owner) or,
 * when no hub runs, in the CLI's own process with the database opened there.
 */
export interface Operation<I, O> {
  /** `database`: the database and config suffice; `pipeline`: also the queues (Redis). */
  needs: 'database' | 'pipeline';
  run(c: OperationContext, input: I): Promise<O>;
}

export interface OperationContext {
  db: Db;
  config: HubConfig;
  /** The database, without credentials (`embedded PGlite at ...`). */
  describe: string;
  /** Present when the operation needs the pipeline. */
  pipeline?: PipelineContext;
  /** Who runs the command, for the audit log: `cli:<user>`. */
  actor: string;
  progress(done: number, total: number): void;
}

/** Inputs and outputs cross HTTP as JSON: this is how an operation refuses, with words for the operator. */
export class OperationError extends Error {
  constructor(readonly code: string, readonly text: { id: string; en: string }, readonly exitCode = 1) {
    super(`${text.id}\n${text.en}`);
  }
}

export function pipelineOf(c: OperationContext): PipelineContext {
  if (!c.pipeline) throw new Error('operation declared needs: "database" but uses the pipeline');
  return c.pipeline;
}
