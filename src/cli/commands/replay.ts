import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { regionDigits } from '../../config/regionCode.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { replayRegistrations, type ReplayAnswer, type ReplayFilter } from '../../delivery/replay.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub replay --from identify|route [--village <code>] [--service <code>] [--status validated|identified|routed|held] '
  + '[--since ISO] [--until ISO] [--error-code CODE] [--redeliver] [--yes]\n  Without --yes it only counts (dry run).';

function print(a: ReplayAnswer): void {
  console.log(`${a.dryRun ? 'would replay' : 'replayed'} ${a.matched} registration(s) from ${a.from}: ${Object.entries(a.byStatus).map(([s, n]) => `${s}=${n}`).join(' ') || '-'}`);
  for (const m of a.moves) console.log(`  ${m.count} ${a.dryRun ? 'would move' : 'moved'}: ${m.from} -> ${m.to}`);
  console.log(`  ${a.unchanged} stay in their queue${a.redelivered ? `, ${a.redelivered} ${a.dryRun ? 'would be' : ''} sent again` : ''}`);
}

/** Replays registrations from a stage; counts first, changes only with --yes. Audited as the operator. */
export default async function replay(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' }, village: { type: 'string' }, service: { type: 'string' }, status: { type: 'string' },
      since: { type: 'string' }, until: { type: 'string' }, 'error-code': { type: 'string' }, redeliver: { type: 'boolean' }, yes: { type: 'boolean' },
    },
  });
  if (values.from !== 'identify' && values.from !== 'route') throw new UsageError(USAGE);
  const env = loadEnv();
  const config = loadConfig(env.configDir);
  const filter: ReplayFilter = {};
  if (values.village !== undefined) {
    const v = regionDigits(values.village);
    if (!v || !config.villages.has(v)) throw new UsageError(`"${values.village}" is not a tiyuh or kelurahan of 18.12`);
    filter.village = v;
  }
  if (values.service !== undefined) {
    if (!config.services.has(values.service)) throw new UsageError(`unknown service "${values.service}" (see config/services.json)`);
    filter.service = values.service;
  }
  if (values.status !== undefined) {
    if (!['validated', 'identified', 'routed', 'held'].includes(values.status)) throw new UsageError(USAGE);
    filter.status = values.status as ReplayFilter['status'];
  }
  for (const k of ['since', 'until'] as const) {
    if (values[k] !== undefined) {
      if (Number.isNaN(Date.parse(values[k]))) throw new UsageError(`--${k} must be a date/time (ISO 8601)`);
      filter[k] = new Date(values[k]).toISOString();
    }
  }
  if (values['error-code'] !== undefined) filter.errorCode = values['error-code'];

  const hub = await startHub(env, createLogger(env.logLevel === 'info' ? 'warn' : env.logLevel), { api: false, workers: false });
  try {
    const ctx = hub.ctx;
    const actor = `cli:${process.env.USER ?? 'operator'}`;
    const req = { filter, from: values.from, redeliver: values.redeliver ?? false, actor } as const;
    print(await replayRegistrations(ctx, { ...req, dryRun: true }));
    if (!values.yes) {
      console.log('dry run: nothing changed; add --yes to replay');
      return 0;
    }
    print(await replayRegistrations(ctx, { ...req, dryRun: false }));
  } finally {
    await hub.close();
  }
  return 0;
}
