import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { loadEnv } from '../../config/env.js';
import { rows } from '../../db/client.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { requestSync } from '../../connectors/sync/runs.js';
import { syncQueueOf } from '../../connectors/sync/queue.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub sync <sourceId> [--wait]';

/** Starts a run now (the hub's workers do the pulling); --wait follows it to the end. Exit 1 when it fails or cannot start. */
export default async function sync(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { wait: { type: 'boolean', default: false } } });
  if (positionals.length !== 1) throw new UsageError(USAGE);
  const sourceId = positionals[0]!;
  const env = loadEnv();
  const hub = await startHub(env, createLogger(env.logLevel === 'info' ? 'warn' : env.logLevel), { api: false, workers: false });
  try {
    const r = await requestSync(hub.ctx, syncQueueOf(hub.ctx.queues), sourceId, 'manual');
    if (r.status === 'unknown') { console.error(`unknown source "${sourceId}"`); return 1; }
    await hub.database.db.execute(sql`insert into audit_log (actor, action, target_type, target_id, detail)
      values (${`cli:${process.env.USER ?? 'operator'}`}, 'source.sync', 'sources', ${sourceId}, ${JSON.stringify({ outcome: r.status })}::jsonb)`);
    if (r.status === 'disabled') { console.error(`source "${sourceId}" is disabled or not a pull connector`); return 1; }
    if (r.status === 'running') { console.log(`run #${r.runId} of ${sourceId} is already running`); return 0; }
    if (r.status !== 'started') return 1;
    console.log(`run #${r.runId} of ${sourceId} started`);
    if (!values.wait) return 0;
    for (;;) {
      const [run] = await rows<{ status: string; pages: number; records_accepted: number; records_quarantined: number; error: string | null }>(hub.database.db, sql`
        select status, pages, records_accepted, records_quarantined, error from sync_runs where id = ${r.runId}`);
      if (run && run.status !== 'running') {
        console.log(`run #${r.runId} ${run.status}: ${run.pages} pages, ${run.records_accepted} accepted, ${run.records_quarantined} quarantined${run.error ? `; ${run.error}` : ''}`);
        return run.status === 'succeeded' ? 0 : 1;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  } finally {
    await hub.close();
  }
}
