import type { Cursor } from '../types.js';

/**
 * Offset paging over a listing that changes while it is read, with no unique sort (the OpenSID servers
 * allow none): a row deleted before the page being read shifts the rows after it one place forward, so
 * one row crosses a page boundary unseen; a row inserted shifts them back, so one row comes twice. The
 * run therefore drops the rows it has already received, notes the total the server counts on every page,
 * and after a pass whose total moved (or that ended with fewer distinct rows than the server counts)
 * reads the listing again from the page before the first move. What it did is kept in sync_runs.paging.
 */
export interface RunPaging {
  /** The page the run's first pass began at: past 1 when it resumed an interrupted run. */
  startPage: number;
  perPage: number;
  /** The server's total on the run's first listing page, and on its latest. */
  totalFirst: number;
  totalLast: number;
  /** Distinct rows received, and rows received again (dropped). */
  distinct: number;
  repeats: number;
  passes: PassRecord[];
}

export interface PassRecord {
  pass: number;
  fromPage: number;
  toPage: number;
  totalStart: number;
  totalEnd: number;
  /** The first page on which the total differed from the one before it (the earlier pass's last, for a page opening a re-read). */
  firstMovedPage: number | null;
  /** Rows this pass received for the first time in the run, and rows it received again. */
  fresh: number;
  repeats: number;
}

/** Re-read passes after the first; then the run ends with a warning rather than chase a busy server. */
export const MAX_REREADS = 2;

/** The state after one listing page: totals, where they moved, what was new. */
export function notePage(paging: RunPaging | null, cursor: Cursor, listing: { total: number; perPage: number }, fresh: number, repeats: number): RunPaging {
  const pass = cursor.pass ?? 0;
  const p: RunPaging = paging
    ? { ...paging, passes: paging.passes.map((x) => ({ ...x })) }
    : { startPage: cursor.page, perPage: listing.perPage, totalFirst: listing.total, totalLast: listing.total, distinct: 0, repeats: 0, passes: [] };
  let record = p.passes.find((x) => x.pass === pass);
  const moved = paging !== null && listing.total !== p.totalLast;
  if (!record) {
    record = { pass, fromPage: cursor.page, toPage: cursor.page, totalStart: listing.total, totalEnd: listing.total, firstMovedPage: null, fresh: 0, repeats: 0 };
    p.passes.push(record);
  }
  if (moved && record.firstMovedPage === null) record.firstMovedPage = cursor.page;
  record.toPage = cursor.page;
  record.totalEnd = listing.total;
  record.fresh += fresh;
  record.repeats += repeats;
  p.totalLast = listing.total;
  p.perPage = listing.perPage;
  p.distinct += fresh;
  p.repeats += repeats;
  return p;
}

/** Rows the run should hold by the server's latest count (a resumed run skipped the pages before it). */
export function expectedRows(p: RunPaging): number {
  return Math.max(0, p.totalLast - (p.startPage - 1) * p.perPage);
}

/**
 * After a pass over the listing: the cursor of a re-read pass when the total moved or rows are short,
 * else none, and a warning when the run ends short or still moving.
 */
export function afterPass(p: RunPaging): { reread: Cursor | null; warning: string | null } {
  const last = p.passes[p.passes.length - 1]!;
  const expected = expectedRows(p);
  const short = p.distinct < expected;
  const moved = last.firstMovedPage !== null;
  if ((moved || short) && last.pass < MAX_REREADS) {
    return { reread: { page: moved ? Math.max(1, last.firstMovedPage! - 1) : p.startPage, pass: last.pass + 1 }, warning: null };
  }
  const counts = `the server counted ${p.totalFirst} at the start and ${p.totalLast} at the end; ${p.passes.length - 1} re-read pass(es)`;
  if (short) return { reread: null, warning: `ROWS_MISSING: received ${p.distinct} distinct rows of ${expected} (${counts})` };
  if (moved) return { reread: null, warning: `LISTING_MOVING: the total still moved during the last re-read (${counts}); rows changed meanwhile may wait for the next run` };
  return { reread: null, warning: null };
}
