import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { regionDigits } from '../../config/regionCode.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { listQuarantine, replayQuarantine } from '../../pipeline/intake/quarantine.js';
import { UsageError } from '../usage.js';

const USAGE = [
  'tiyuh-hub quarantine list [--village <code>] [--kind resident|registration] [--status open|replayed|discarded] [--limit N] [--offset N]',
  'tiyuh-hub quarantine replay <id>... [--payload FILE.json]   (--payload: the corrected record, for one id)',
].join('\n');

/**
 * The operator's view of quarantine (every village): `list` prints one JSON line per record,
 * `replay` sends records, corrected or as stored, through intake again and prints each outcome.
 */
export default async function quarantine(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      village: { type: 'string' }, kind: { type: 'string' }, status: { type: 'string' },
      limit: { type: 'string' }, offset: { type: 'string' }, payload: { type: 'string' },
    },
  });
  const [action, ...ids] = positionals;
  if (action !== 'list' && action !== 'replay') throw new UsageError(USAGE);
  const numbers = ids.map(Number);
  if (action === 'replay' && (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < 1))) throw new UsageError(USAGE);
  if (values.payload && numbers.length !== 1) throw new UsageError('--payload corrects one record: give exactly one id');
  let payload: unknown;
  if (values.payload) {
    try {
      payload = JSON.parse(readFileSync(values.payload, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read ${values.payload}: ${(err as Error).message}`);
    }
  }
  const env = loadEnv();
  const hub = await startHub(env, createLogger(env.logLevel === 'info' ? 'warn' : env.logLevel), { api: false, workers: false });
  try {
    const scope = { villages: null, apiKeyId: null };
    if (action === 'list') {
      const village = values.village ? regionDigits(values.village) ?? values.village : undefined;
      const { total, items } = await listQuarantine(hub.ctx, scope, {
        village, kind: values.kind, status: values.status ?? 'open',
        limit: Math.min(Number(values.limit ?? 100) || 100, 10_000), offset: Number(values.offset ?? 0) || 0,
      });
      for (const it of items) console.log(JSON.stringify(it));
      console.error(`${items.length} of ${total} quarantined records`);
      return 0;
    }
    const answers = await replayQuarantine(hub.ctx, numbers.map((id) => (payload === undefined ? { id } : { id, payload })), scope, { apiKeyId: null });
    for (const a of answers) console.log(JSON.stringify(a));
    return answers.every((a) => a.status === 'accepted') ? 0 : 1;
  } finally {
    await hub.close();
  }
}
