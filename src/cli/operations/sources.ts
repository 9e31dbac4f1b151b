import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { sourceStatuses, type SourceStatus } from '../../api/sources.js';
import { checkSource, type SourceCheck } from '../../connectors/sync/check.js';
import { requestSync, type SyncRequest } from '../../connectors/sync/runs.js';
import { syncQueueOf } from '../../connectors/sync/queue.js';
import { pipelineOf, type Operation } from './operation.js';

export const listSources: Operation<Record<string, never>, SourceStatus[]> = {
  needs: 'pipeline',
  run: (c) => sourceStatuses(pipelineOf(c)),
};

export const checkSourceOperation: Operation<{ id: string }, SourceCheck> = {
  needs: 'pipeline',
  run: (c, input) => checkSource(pipelineOf(c), input.id, c.actor),
};

/** Starts a pull now (the hub's workers do it), audited as the API's POST /v1/sources/:id/sync is. */
export const startSync: Operation<{ id: string }, SyncRequest> = {
  needs: 'pipeline',
  async run(c, input) {
    const ctx = pipelineOf(c);
    const r = await requestSync(ctx, syncQueueOf(ctx.queues), input.id, 'manual');
    if (r.status !== 'unknown') {
      await c.db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
        select ${c.actor}, 'source.sync', 'sources', id, kecamatan_code, ${JSON.stringify({ outcome: r.status })}::jsonb from sources where id = ${input.id}`);
    }
    return r;
  },
};

export interface RunState { status: string; pages: number; recordsAccepted: number; recordsQuarantined: number; error: string | null }

export const syncRunState: Operation<{ runId: number }, RunState | null> = {
  needs: 'database',
  async run(c, input) {
    const [run] = await rows<RunState>(c.db, sql`
      select status, pages, records_accepted as "recordsAccepted", records_quarantined as "recordsQuarantined", error
      from sync_runs where id = ${input.runId}`);
    return run ?? null;
  },
};
