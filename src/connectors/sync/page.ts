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
import { requestBudgetFor } from '../requestBudget.js';
import { SyncError, type CommonSettings, type Cursor, type Page, type SourceRow } from '../types.js';
import { afterPass, notePage, type RunPaging } from './paging.js';
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

/** Whether two cursors read the same stream in the same pass. */
const samePass = (a: Cursor, b: Cursor) => (a.stream ?? null) === (b.stream ?? null) && (a.pass ?? 0) === (b.pass ?? 0);

/**
 * The rows of this job's pages that the run has not received before (by listing item id): offset
 * paging repeats a row when one is inserted ahead of it. Rows of connectors without a listing all count.
 */
async function freshRows(ctx: PipelineContext, runId: number, pages: FetchedPage[]): Promise<{ fresh: ResidentInput[]; keys: string[]; perPage: number[]; repeatsPerPage: number[] }> {
  const listed = pages.flatMap((p) => p.listing?.keys ?? []).filter((k) => k !== '');
  const seen = new Set(listed.length ? (await rows<{ item_key: string }>(ctx.db, sql`
    select item_key from sync_run_items where run_id = ${runId} and item_key = any(${arrayParam([...new Set(listed)], 'text')})`)).map((r) => r.item_key) : []);
  const fresh: ResidentInput[] = [];
  const keys: string[] = [];
  const perPage: number[] = [];
  const repeatsPerPage: number[] = [];
  for (const p of pages) {
    let n = 0;
    let repeats = 0;
    p.residents.forEach((r, i) => {
      const key = p.listing?.keys[i] ?? '';
      if (key !== '') {
        if (seen.has(key)) { repeats++; return; }
        seen.add(key);
        keys.push(key);
      }
      fresh.push(r);
      n++;
    });
    perPage.push(n);
    repeatsPerPage.push(repeats);
  }
  return { fresh, keys, perPage, repeatsPerPage };
}

interface FetchedPage extends Page { at: Cursor }

/**
 * Why a finished run that brought no resident deserves a person's eye: the source had rows before (its
 * region filter or the village's data broke), or it never had any (a first run pointed at nothing).
 */
async function zeroRowsWarning(ctx: PipelineContext, sourceId: string, runId: number): Promise<string> {
  const [had] = await rows<{ last_run: number | null; records: boolean }>(ctx.db, sql`
    select (select max(id) from sync_runs where source_id = ${sourceId} and id <> ${runId} and status = 'succeeded'
              and (records_received > 0 or records_accepted + records_quarantined > 0)) as last_run,
           exists (select 1 from resident_records where source_id = ${sourceId} and deleted_at is null) as records`);
  if (had?.last_run || had?.records) {
    return `ZERO_ROWS: the server listed no residents, though this source had rows before${had.last_run ? ` (run #${had.last_run})` : ''}; the hub keeps what it holds. Check the source's region code and the village's data`;
  }
  return 'ZERO_ROWS_FIRST_RUN: the first run found no residents for this source; check its village or kecamatan code';
}

/**
 * One page of a run: fetch from the cursor, commit the records (one transaction in the intake), then
 * advance the cursor and the run with a compare-and-set on the run's page count, then queue the next
 * page after the politeness delay. A retry of a committed page finds its records unchanged; a retry
 * of a page already counted only makes sure the next page is queued. Rows of an offset-paged listing
 * are received once per run, and a pass whose total moved is read again (paging.ts).
 */
export async function processPage(ctx: PipelineContext, queue: Queue<SyncJob>, job: Job<SyncJob>): Promise<string> {
  const { sourceId, runId } = job.data;
  const seq = seqOfPageJob(job.id!);
  const [run] = await rows<{ status: string; pages: number; paging: RunPaging | null; received: number }>(ctx.db, sql`
    select status, pages, paging, records_received as received from sync_runs where id = ${runId!}`);
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
  const cursor = source.cursor ?? connector.firstCursor(settings);
  // Up to pagesPerJob consecutive pages go to the intake as one transaction: its cost is mostly per call.
  // A job stops where a stream or a pass ends, so the run decides about a re-read between jobs.
  const fetchedPages: FetchedPage[] = [];
  let next: Cursor | null = cursor;
  const env = { sessions: sessionStoreFor(ctx.db), budget: requestBudgetFor(ctx.queues) };
  try {
    while (next && fetchedPages.length < settings.pagesPerJob) {
      const at: Cursor = next;
      const one = await connector.fetchPage(source, settings, at, env);
      fetchedPages.push({ ...one, at });
      next = one.next;
      if (!next || !samePass(at, next)) break;
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
  const fetched = fetchedPages.length;
  const { fresh: freshResidents, keys, perPage, repeatsPerPage } = await freshRows(ctx, runId!, fetchedPages);
  let paging = run.paging;
  fetchedPages.forEach((p, i) => { if (p.listing) paging = notePage(paging, p.at, p.listing, perPage[i]!, repeatsPerPage[i]!); });
  const lastAt = fetchedPages[fetchedPages.length - 1]!.at;
  let warning: string | null = null;
  // The residents listing ended a pass: read it again if the total moved or rows are short.
  if (paging && fetchedPages[fetchedPages.length - 1]!.listing && (!next || !samePass(lastAt, next))) {
    const verdict = afterPass(paging);
    if (verdict.reread) next = verdict.reread;
    warning = verdict.warning;
  }
  const registrations = fetchedPages.flatMap((p) => p.registrations ?? []);
  const allowed = allowedVillages(ctx, source);
  const { fresh, checks, known } = await withoutKnownBad(ctx, freshResidents, allowed);
  const result = fresh.length
    ? await ingestResidents(ctx, fresh, {
      channel: 'pull', allowedVillages: allowed, sourceId, idempotencyKey: `sync.${runId}.${seq}`, checks,
      // The inbox names the pages, not their rows: the rows are already mapped from the API's shape and
      // held in resident_records (history keeps every change), so a copy here only doubled each pull.
      raw: { sourceId, runId, from: cursor, to: next, pages: fetched, rows: freshResidents.length },
    })
    : { created: 0, updated: 0, unchanged: 0, quarantined: 0 };
  // After the residents: a request's applicant may be among the residents of this very page.
  const regs = await ingestPulledRegistrations(ctx, source, registrations, `sync.${runId}.${seq}`);
  const accepted = result.created + result.updated + result.unchanged + regs.accepted;
  const quarantinedCount = result.quarantined + known + regs.quarantined + regs.known;
  // Only a run that read a residents listing can say it found nobody (an OpenSID API source may pull letters only).
  const readResidents = paging !== null || fetchedPages.some((p) => !p.at.stream);
  if (!next && readResidents && run.received + freshResidents.length === 0) warning = await zeroRowsWarning(ctx, sourceId, runId!);
  const zeroRows = warning?.startsWith('ZERO_ROWS') ?? false;
  const advanced = await ctx.db.transaction(async (tx) => {
    const [r] = await rows<{ id: number }>(tx, sql`
      update sync_runs set pages = pages + ${fetched}, records_accepted = records_accepted + ${accepted},
        records_quarantined = records_quarantined + ${quarantinedCount}, records_received = records_received + ${freshResidents.length},
        paging = ${paging ? JSON.stringify(paging) : null}::jsonb, warning = ${warning},
        cursor_to = ${JSON.stringify(next ?? cursor)}::jsonb,
        status = ${next ? 'running' : 'succeeded'}, finished_at = ${next ? null : sql`now()`}
      where id = ${runId!} and pages = ${seq} and status = 'running' returning id`);
    if (!r) return false;
    if (next) {
      if (keys.length) {
        await tx.execute(sql`insert into sync_run_items (run_id, item_key)
          select ${runId!}, k from unnest(${arrayParam(keys, 'text')}) as k on conflict do nothing`);
      }
      await tx.execute(sql`update sources set cursor = ${JSON.stringify(next)}::jsonb, updated_at = now() where id = ${sourceId}`);
    } else {
      await tx.execute(sql`delete from sync_run_items where run_id = ${runId!}`);
      // A finished pull starts from the beginning next time; OpenSID offers no change feed to resume from.
      // A run that brought nothing is no success: the source's lag keeps growing until rows come again.
      await tx.execute(sql`update sources set cursor = null, last_error = null, updated_at = now(),
        last_success_at = ${zeroRows ? sql`last_success_at` : sql`now()`} where id = ${sourceId}`);
    }
    return true;
  });
  if (advanced && next) {
    await queue.add('page', { sourceId, runId }, { jobId: pageJobId(sourceId, runId!, seq + fetched), ...jobOptions(settings, settings.minPageIntervalMs) });
  }
  const repeats = repeatsPerPage.reduce((a, b) => a + b, 0);
  return advanced
    ? `pages from ${cursor.stream ?? 'residents'} ${cursor.page}${cursor.pass ? ` (re-read ${cursor.pass})` : ''} (${fetched}): ${accepted} accepted, ${quarantinedCount} quarantined${repeats ? `, ${repeats} repeated` : ''}${regs.cancelled ? `, ${regs.cancelled} cancelled` : ''}${warning ? `; ${warning.split(':')[0]}` : ''}`
    : 'page counted by another attempt';
}
