import { sql } from 'drizzle-orm';
import type { Job, Queue } from 'bullmq';
import { rows } from '../../db/client.js';
import { arrayParam, jsonTexts } from '../../db/sqlArrays.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { ingestResidents, type ResidentInput } from '../../pipeline/intake/residents.js';
import { checkResident, type ResidentCheck } from '../../pipeline/validate/resident.js';
import { PULL_CONNECTORS } from '../registry.js';
import { sessionStoreFor } from '../sessions.js';
import { checkedSettings } from '../settings.js';
import { SyncError, type CommonSettings, type Cursor, type Page, type SourceRow } from '../types.js';
import { failRun, jobOptions } from './runs.js';
import { ingestPulledRegistrations } from './pulledRegistrations.js';
import { pageJobId, seqOfPageJob, type SyncJob } from './queue.js';

function allowedVillages(ctx: PipelineContext, source: SourceRow): Set<string> | null {
  if (source.villageCode) return new Set([source.villageCode]);
  if (source.kecamatanCode) return new Set([...ctx.config.villages.keys()].filter((v) => v.startsWith(source.kecamatanCode!)));
  return null;
}

/**
 * Validates the page once (the intake takes these checks as they are). Rows that fail validation
 * exactly as they did before are already waiting in quarantine: a full re-pull must not quarantine
 * them again on every run.
 */
async function withoutKnownBad(ctx: PipelineContext, inputs: ResidentInput[], allowed: Set<string> | null): Promise<{ fresh: ResidentInput[]; checks: ResidentCheck[]; known: number }> {
  const today = new Date().toISOString().slice(0, 10);
  const checks = inputs.map((input) => checkResident(input, ctx.config, allowed, today));
  const bad = checks.flatMap((c, i) => (c.ok || !c.villageCode ? [] : [{ i, village: c.villageCode, local: c.localId }]));
  if (bad.length === 0) return { fresh: inputs, checks, known: 0 };
  const hits = await rows<{ i: number }>(ctx.db, sql`
    select u.i from unnest(${arrayParam(bad.map((b) => b.i), 'int')}, ${arrayParam(bad.map((b) => b.village), 'text')},
      ${arrayParam(bad.map((b) => b.local), 'text')}, ${arrayParam(jsonTexts(bad.map((b) => inputs[b.i])), 'text')}) as u(i, v, l, p)
    where exists (select 1 from quarantine q where q.kind = 'resident' and q.status = 'open' and q.village_code = u.v
      and q.external_id = u.l and q.payload = u.p::jsonb)`);
  const skip = new Set(hits.map((h) => h.i));
  return { fresh: inputs.filter((_, i) => !skip.has(i)), checks: checks.filter((_, i) => !skip.has(i)), known: skip.size };
}

/**
 * One page of a run: fetch from the cursor, commit the records (one transaction in the intake), then
 * advance the cursor and the run with a compare-and-set on the run's page count, then queue the next
 * page after the politeness delay. A retry of a committed page finds its records unchanged; a retry
 * of a page already counted only makes sure the next page is queued.
 */
export async function processPage(ctx: PipelineContext, queue: Queue<SyncJob>, job: Job<SyncJob>): Promise<string> {
  const { sourceId, runId } = job.data;
  const seq = seqOfPageJob(job.id!);
  const [run] = await rows<{ status: string; pages: number }>(ctx.db, sql`select status, pages from sync_runs where id = ${runId!}`);
  if (!run || run.status !== 'running') return 'run not running';
  const [source] = await rows<SourceRow & { cursor: Cursor | null }>(ctx.db, sql`
    select id, village_code as "villageCode", kecamatan_code as "kecamatanCode", connector, enabled, settings, cursor
    from sources where id = ${sourceId}`);
  const connector = source ? PULL_CONNECTORS[source.connector] : undefined;
  if (!source || !source.enabled || !connector) {
    await failRun(ctx, runId!, sourceId, `SOURCE_GONE: the source was removed or disabled during the run`);
    return 'source gone';
  }
  let settings: CommonSettings;
  try {
    settings = checkedSettings<CommonSettings>(connector.settingsSchema, source.settings);
  } catch (err) {
    await failRun(ctx, runId!, sourceId, (err as Error).message);
    return 'settings invalid';
  }
  if (seq < run.pages) {
    await queue.add('page', { sourceId, runId }, { jobId: pageJobId(sourceId, runId!, run.pages), ...jobOptions(settings) });
    return 'page already committed';
  }
  const cursor = source.cursor ?? connector.firstCursor();
  // Up to pagesPerJob consecutive pages go to the intake as one transaction: its cost is mostly per call.
  const page: Page & { registrations: NonNullable<Page['registrations']> } = { residents: [], registrations: [], next: cursor };
  let fetched = 0;
  try {
    while (page.next && fetched < settings.pagesPerJob) {
      const one = await connector.fetchPage(source, settings, page.next, { sessions: sessionStoreFor(ctx.db) });
      page.residents.push(...one.residents);
      page.registrations.push(...(one.registrations ?? []));
      page.next = one.next;
      fetched += 1;
    }
  } catch (err) {
    const e = err instanceof SyncError ? err : new SyncError('INTERNAL', (err as Error).message, true);
    const attempts = job.opts.attempts ?? 1;
    if (!e.retryable || job.attemptsMade + 1 >= attempts) {
      await failRun(ctx, runId!, sourceId, `${e.message} (page ${cursor.page}${e.retryable ? `, after ${attempts} attempts` : ''})`);
      return 'run failed';
    }
    await ctx.db.execute(sql`update sources set last_error = ${`retrying page ${cursor.page} (attempt ${job.attemptsMade + 1}/${attempts}): ${e.message}`}
      where id = ${sourceId}`);
    throw e;
  }
  const allowed = allowedVillages(ctx, source);
  const { fresh, checks, known } = await withoutKnownBad(ctx, page.residents, allowed);
  const result = fresh.length
    ? await ingestResidents(ctx, fresh, {
      channel: 'pull', allowedVillages: allowed, sourceId, idempotencyKey: `sync.${runId}.${seq}`, checks,
      // The inbox names the pages, not their rows: the rows are already mapped from the API's shape and
      // held in resident_records (history keeps every change), so a copy here only doubled each pull.
      raw: { sourceId, runId, from: cursor, to: page.next, pages: fetched, rows: page.residents.length },
    })
    : { created: 0, updated: 0, unchanged: 0, quarantined: 0 };
  // After the residents: a request's applicant may be among the residents of this very page.
  const regs = await ingestPulledRegistrations(ctx, source, page.registrations, `sync.${runId}.${seq}`);
  const accepted = result.created + result.updated + result.unchanged + regs.accepted;
  const quarantinedCount = result.quarantined + known + regs.quarantined + regs.known;
  const next = page.next;
  const advanced = await ctx.db.transaction(async (tx) => {
    const [r] = await rows<{ id: number }>(tx, sql`
      update sync_runs set pages = pages + ${fetched}, records_accepted = records_accepted + ${accepted},
        records_quarantined = records_quarantined + ${quarantinedCount}, cursor_to = ${JSON.stringify(next ?? cursor)}::jsonb,
        status = ${next ? 'running' : 'succeeded'}, finished_at = ${next ? null : sql`now()`}
      where id = ${runId!} and pages = ${seq} and status = 'running' returning id`);
    if (!r) return false;
    // A finished pull starts from the beginning next time; OpenSID offers no change feed to resume from.
    if (next) await tx.execute(sql`update sources set cursor = ${JSON.stringify(next)}::jsonb, updated_at = now() where id = ${sourceId}`);
    else await tx.execute(sql`update sources set cursor = null, last_success_at = now(), last_error = null, updated_at = now() where id = ${sourceId}`);
    return true;
  });
  if (advanced && next) {
    await queue.add('page', { sourceId, runId }, { jobId: pageJobId(sourceId, runId!, seq + fetched), ...jobOptions(settings, settings.minPageIntervalMs) });
  }
  return advanced
    ? `pages from ${cursor.stream ?? 'residents'} ${cursor.page} (${fetched}): ${accepted} accepted, ${quarantinedCount} quarantined${regs.cancelled ? `, ${regs.cancelled} cancelled` : ''}`
    : 'page counted by another attempt';
}
