import { sql } from 'drizzle-orm';
import type { Queue } from 'bullmq';
import { rows } from '../../db/client.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { PULL_CONNECTORS } from '../registry.js';
import { checkedSettings } from '../settings.js';
import type { CommonSettings, Cursor } from '../types.js';
import { pageJobId, type SyncJob } from './queue.js';

export type SyncRequest =
  | { status: 'started'; runId: number }
  | { status: 'running'; runId: number }
  | { status: 'circuit-open'; until: string; reason: string }
  | { status: 'disabled' | 'unknown' };

/** After this many failed runs in a row, scheduled runs pause (the village's server is down or broken). */
export const BREAKER_FAILURES = 3;
const BREAKER_BASE_MS = 5 * 60_000;
const BREAKER_MAX_MS = 6 * 3600_000;
/** A refused login pauses at once: the Gabungan server blocks a user after five failed logins (for 10 min). */
const LOGIN_COOLDOWN_MS = 15 * 60_000;
/** A run this young may not have its first job in Redis yet. */
const START_GRACE_MS = 15_000;

export interface Circuit { state: 'closed' | 'open'; failures: number; until?: string; reason?: string }

/** The breaker is derived from the run history in Postgres, so every hub instance sees the same state. */
export async function circuitOf(ctx: PipelineContext, sourceId: string, now = Date.now()): Promise<Circuit> {
  const recent = await rows<{ status: string; error: string | null; finished_at: Date }>(ctx.db, sql`
    select status, error, finished_at from sync_runs where source_id = ${sourceId} and status <> 'running'
    order by id desc limit 20`);
  let failures = 0;
  for (const r of recent) { if (r.status !== 'failed') break; failures++; }
  const last = recent[0];
  if (!last || failures === 0) return { state: 'closed', failures };
  const login = (last.error?.startsWith('LOGIN_REJECTED') || last.error?.startsWith('LOGIN_PAUSED')) ?? false;
  if (!login && failures < BREAKER_FAILURES) return { state: 'closed', failures };
  const wait = login ? LOGIN_COOLDOWN_MS * 2 ** (failures - 1) : BREAKER_BASE_MS * 2 ** (failures - BREAKER_FAILURES);
  const until = new Date(last.finished_at).getTime() + Math.min(wait, login ? 24 * 3600_000 : BREAKER_MAX_MS);
  return until > now ? { state: 'open', failures, until: new Date(until).toISOString(), reason: last.error ?? '' } : { state: 'closed', failures };
}

const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

async function runIsLive(queue: Queue<SyncJob>, run: { id: number; source_id: string; pages: number; started_at: Date }): Promise<boolean> {
  if (Date.now() - new Date(run.started_at).getTime() < START_GRACE_MS && run.pages === 0) return true;
  for (const seq of [run.pages, run.pages - 1]) {
    if (seq < 0) continue;
    const state = await queue.getJobState(pageJobId(run.source_id, run.id, seq));
    if (LIVE.has(state)) return true;
  }
  return false;
}

export function jobOptions(settings: CommonSettings, delay = 0) {
  return {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs, jitter: 0.5 },
    delay,
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * Starts a run of a source unless one is already running (one at a time per source, across hub
 * instances: the check and the insert hold a transaction-scoped advisory lock on the source). A run
 * whose jobs are gone (worker killed, Redis emptied) is marked failed and a new one resumes from the
 * cursor. Scheduled runs respect the circuit breaker; a manual run is the operator's probe and does not.
 */
export async function requestSync(ctx: PipelineContext, queue: Queue<SyncJob>, sourceId: string, trigger: 'schedule' | 'manual'): Promise<SyncRequest> {
  const out = await ctx.db.transaction(async (tx): Promise<SyncRequest & { settings?: CommonSettings }> => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`tiyuh-sync:${sourceId}`}))`);
    const [source] = await rows<{ connector: string; enabled: boolean; settings: Record<string, unknown>; cursor: Cursor | null }>(tx, sql`
      select connector, enabled, settings, cursor from sources where id = ${sourceId}`);
    if (!source) return { status: 'unknown' };
    const connector = PULL_CONNECTORS[source.connector];
    if (!source.enabled || !connector) return { status: 'disabled' };
    const [running] = await rows<{ id: number; source_id: string; pages: number; started_at: Date }>(tx, sql`
      select id, source_id, pages, started_at from sync_runs where source_id = ${sourceId} and status = 'running' order by id desc limit 1`);
    if (running) {
      if (await runIsLive(queue, running)) return { status: 'running', runId: running.id };
      await tx.execute(sql`update sync_runs set status = 'failed', finished_at = now(),
        error = 'INTERRUPTED: the run''s job was lost (worker killed or queue emptied); the next run resumes from the cursor'
        where id = ${running.id}`);
      await tx.execute(sql`delete from sync_run_items where run_id = ${running.id}`);
    }
    if (trigger === 'schedule') {
      const circuit = await circuitOf({ ...ctx, db: tx as never }, sourceId);
      if (circuit.state === 'open') return { status: 'circuit-open', until: circuit.until!, reason: circuit.reason ?? '' };
    }
    let settings: CommonSettings;
    try {
      settings = checkedSettings<CommonSettings>(connector.settingsSchema, source.settings);
    } catch (err) {
      const [run] = await rows<{ id: number }>(tx, sql`
        insert into sync_runs (source_id, trigger, status, finished_at, error) values (${sourceId}, ${trigger}, 'failed', now(), ${(err as Error).message}) returning id`);
      await tx.execute(sql`update sources set last_error = ${(err as Error).message} where id = ${sourceId}`);
      return { status: 'started', runId: run!.id };
    }
    const from = source.cursor ?? connector.firstCursor(settings);
    const [run] = await rows<{ id: number }>(tx, sql`
      insert into sync_runs (source_id, trigger, cursor_from) values (${sourceId}, ${trigger}, ${JSON.stringify(from)}::jsonb) returning id`);
    return { status: 'started', runId: run!.id, settings };
  });
  if (out.status === 'started' && out.settings) {
    await queue.add('page', { sourceId, runId: out.runId }, { jobId: pageJobId(sourceId, out.runId, 0), ...jobOptions(out.settings) });
  }
  if (out.status === 'started') return { status: 'started', runId: out.runId };
  return out;
}

/** Ends a run as failed with its reason; the cursor stays where the last committed page left it. */
export async function failRun(ctx: PipelineContext, runId: number, sourceId: string, reason: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const done = await rows<{ id: number }>(tx, sql`
      update sync_runs set status = 'failed', error = ${reason}, finished_at = now() where id = ${runId} and status = 'running' returning id`);
    if (done.length) await tx.execute(sql`update sources set last_error = ${reason}, updated_at = now() where id = ${sourceId}`);
    await tx.execute(sql`delete from sync_run_items where run_id = ${runId}`);
  });
}
