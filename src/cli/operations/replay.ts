import { replayRegistrations, ReplayFilterError, resolveReplayFilter, type ReplayAnswer, type ReplayFilter } from '../../delivery/replay.js';
import { OperationError, pipelineOf, type Operation } from './operation.js';

export interface ReplayInput { from: 'identify' | 'route'; filter: ReplayFilter; redeliver: boolean; dryRun: boolean }

/** Registrations run again from a stage, with the same filter rules as POST /v1/replay; audited as the operator. */
export const replayOperation: Operation<ReplayInput, ReplayAnswer> = {
  needs: 'pipeline',
  async run(c, input) {
    let filter: ReplayFilter;
    try {
      filter = resolveReplayFilter(c.config, input.filter);
    } catch (err) {
      if (err instanceof ReplayFilterError) throw new OperationError(err.code, err.text, 2);
      throw err;
    }
    return replayRegistrations(pipelineOf(c), { filter, from: input.from, dryRun: input.dryRun, redeliver: input.redeliver, actor: c.actor });
  },
};
