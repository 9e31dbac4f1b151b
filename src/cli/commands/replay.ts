import { loadEnv } from '../../config/env.js';
import type { ReplayAnswer } from '../../delivery/replay.js';
import { invoke } from '../control/client.js';

function print(a: ReplayAnswer): void {
  console.log(`${a.dryRun ? 'would replay' : 'replayed'} ${a.matched} registration(s) from ${a.from}: ${Object.entries(a.byStatus).map(([s, n]) => `${s}=${n}`).join(' ') || '-'}`);
  for (const m of a.moves) console.log(`  ${m.count} ${a.dryRun ? 'would move' : 'moved'}: ${m.from} -> ${m.to}`);
  console.log(`  ${a.unchanged} stay in their queue${a.redelivered ? `, ${a.redelivered} ${a.dryRun ? 'would be' : ''} sent again` : ''}`);
}

export interface ReplayOptions {
  from: 'identify' | 'route'; village?: string; service?: string; status?: 'validated' | 'identified' | 'routed' | 'held';
  since?: string; until?: string; errorCode?: string; redeliver?: boolean; yes?: boolean;
}

/** Replays registrations from a stage; counts first, changes only with --yes. Audited as the operator. */
export default async function replay(opts: ReplayOptions): Promise<number> {
  const env = loadEnv();
  const filter = { village: opts.village, service: opts.service, status: opts.status, since: opts.since, until: opts.until, errorCode: opts.errorCode };
  const req = { from: opts.from, filter, redeliver: opts.redeliver ?? false };
  print(await invoke(env, 'replay', { ...req, dryRun: true }));
  if (!opts.yes) {
    console.log('dry run: nothing changed; add --yes to replay');
    return 0;
  }
  print(await invoke(env, 'replay', { ...req, dryRun: false }));
  return 0;
}
