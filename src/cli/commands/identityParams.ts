import { loadEnv } from '../../config/env.js';
import { invoke } from '../control/client.js';
import type { ParameterSetLine } from '../operations/identityParams.js';

const describe = (s: ParameterSetLine) =>
  `parameter set ${s.id}: ${s.learned ? 'learned' : 'hand values'} from ${s.records} records, ${s.createdAt} by ${s.createdBy}${s.reason ? ` (${s.reason})` : ''}`;

/** `identity-params show`: the set the identify stage uses. */
export async function show(): Promise<number> {
  const set = await invoke(loadEnv(), 'identityParams.show', {});
  console.log(set ? describe(set) : 'no parameter set recorded: the hand values apply');
  return 0;
}

/**
 * `identity-params estimate`: learns m and u from the active population and records them (who, when,
 * why); the identify stage resolves with them from its next batch. A schedule (cron) may run it too.
 */
export async function estimate(opts: { reason?: string; explain?: boolean }): Promise<number> {
  const { set, explanation } = await invoke(loadEnv(), 'identityParams.estimate', { reason: opts.reason, explain: opts.explain ?? false });
  if (explanation) console.log(explanation);
  console.log(`parameter set ${set.id} recorded (${set.learned ? 'learned' : 'hand values'}, ${set.records} records); identify uses it from its next batch`);
  return 0;
}
