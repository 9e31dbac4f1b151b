import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { currentIdentityParameters, reestimateIdentityParameters } from '../../pipeline/identityParameters.js';
import { formatEstimate } from '../../pipeline/identity/estimate.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub identity-params show | identity-params estimate [--reason TEXT] [--explain]';

/**
 * `tiyuh-hub identity-params estimate`: learns m and u from the active population and records them
 * (who, when, why); the identify stage resolves with them from its next batch. `show`: the set in use.
 * A schedule (cron) runs `estimate` as well; nothing estimates while records are being resolved.
 */
export default async function identityParams(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { reason: { type: 'string' }, explain: { type: 'boolean', default: false } },
  });
  const [action, ...rest] = positionals;
  if ((action !== 'show' && action !== 'estimate') || rest.length) throw new UsageError(USAGE);
  const env = loadEnv();
  const hub = await startHub(env, createLogger(env.logLevel === 'info' ? 'warn' : env.logLevel), { api: false, workers: false });
  try {
    if (action === 'show') {
      const set = await currentIdentityParameters(hub.ctx.db);
      console.log(set
        ? `parameter set ${set.id}: ${set.learned ? 'learned' : 'hand values'} from ${set.records} records, ` +
          `${set.createdAt.toISOString()} by ${set.createdBy}${set.reason ? ` (${set.reason})` : ''}`
        : 'no parameter set recorded: the hand values apply');
      return 0;
    }
    const { set, estimate } = await reestimateIdentityParameters(hub.ctx.db, {
      createdBy: `command:${process.env.USER ?? 'operator'}`, ...(values.reason ? { reason: values.reason } : {}),
    });
    if (values.explain) console.log(formatEstimate(estimate));
    console.log(`parameter set ${set.id} recorded (${set.learned ? 'learned' : 'hand values'}, ${set.records} records); identify uses it from its next batch`);
    return 0;
  } finally {
    await hub.close();
  }
}
