/**
 * Drill load: village systems pushing registration batches with Idempotency-Keys and retrying as a
 * well-behaved client does (on 503/429 after Retry-After, on a dropped connection at once), and the
 * pipeline's outcome as Postgres sees it.
 */
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../src/db/client.js';
import { applicant, type TestApplicant } from '../../test/helpers/fixtures.js';

export interface Village { code: string; key: string }

export interface LoadStats {
  /** externalIds answered `accepted` (per village: `${village}/${externalId}`). */
  accepted: Set<string>;
  requests: number;
  /** Answers by status, connection errors as 0. */
  statuses: Map<number, number>;
  /** Every person sent, for the personal-data scan. */
  people: TestApplicant[];
}

export function newStats(): LoadStats {
  return { accepted: new Set(), requests: 0, statuses: new Map(), people: [] };
}

const RETRY_CAP_MS = 2000;

/** One batch, sent until it is answered 202 (or the deadline passes). */
export async function pushBatch(url: string, v: Village, batchNo: number, size: number, stats: LoadStats, deadline: number, seed: number): Promise<boolean> {
  const people: TestApplicant[] = [];
  const registrations = Array.from({ length: size }, (_, i) => {
    const n = seed + batchNo * size + i;
    const a = applicant(n, { villageCode: v.code });
    people.push(a);
    return { externalId: `drill-${batchNo}-${i}`, service: 'KTP_EL_BARU', applicant: a };
  });
  stats.people.push(...people);
  const body = JSON.stringify({ registrations });
  while (Date.now() < deadline) {
    stats.requests++;
    let status = 0;
    let retryAfter = 0;
    try {
      const res = await fetch(`${url}/v1/registrations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${v.key}`, 'content-type': 'application/json', 'idempotency-key': `drill-${v.code}-${batchNo}` },
        body, signal: AbortSignal.timeout(30_000),
      });
      status = res.status;
      retryAfter = Number(res.headers.get('retry-after') ?? 0) * 1000;
      const answer = await res.json().catch(() => null) as { records?: { externalId: string; status: string }[] } | null;
      if (status === 202 && answer?.records) {
        for (const r of answer.records) if (r.status === 'accepted') stats.accepted.add(`${v.code}/${r.externalId}`);
      }
    } catch {
      status = 0;
    }
    stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
    if (status === 202) return true;
    await new Promise((r) => setTimeout(r, Math.min(RETRY_CAP_MS, Math.max(200, retryAfter))));
  }
  return false;
}

/**
 * Each village pushes its batches one after another, all villages at once: at least `batchesPerVillage`
 * each, and on until `keepGoing` turns false (so the load spans every fault), pausing `pauseMs` between batches.
 */
export async function pushLoad(url: string, villages: Village[], batchesPerVillage: number, size: number, stats: LoadStats, deadline: number,
  keepGoing: () => boolean = () => false, pauseMs = 0): Promise<void> {
  await Promise.all(villages.map(async (v, vi) => {
    for (let b = 0; (b < batchesPerVillage || keepGoing()) && Date.now() < deadline; b++) {
      await pushBatch(url, v, b, size, stats, deadline, vi * 1_000_000);
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }));
}

export interface Outcome {
  accepted: number;
  stored: number;
  routed: number;
  held: number;
  /** Answered accepted, but not stored, or stored and not through the pipeline. */
  lost: number;
  /** More than one delivery for a registration, or one registration stored twice. */
  duplicated: number;
  deliveries: number;
}

export async function outcome(db: Db, stats: LoadStats): Promise<Outcome> {
  const stored = await rows<{ key: string; status: string; deliveries: number }>(db, sql`
    select r.village_code || '/' || r.external_id as key, r.status,
      (select count(*)::int from deliveries d where d.registration_id = r.id) as deliveries
    from registrations r where r.external_id like 'drill-%'`);
  const byKey = new Map<string, { status: string; deliveries: number; copies: number }>();
  for (const s of stored) {
    const prev = byKey.get(s.key);
    byKey.set(s.key, { status: s.status, deliveries: s.deliveries + (prev?.deliveries ?? 0), copies: (prev?.copies ?? 0) + 1 });
  }
  let lost = 0;
  for (const k of stats.accepted) {
    const s = byKey.get(k);
    if (!s || (s.status !== 'routed' && s.status !== 'held')) lost++;
  }
  let duplicated = 0;
  for (const s of byKey.values()) duplicated += Math.max(0, s.copies - 1) + Math.max(0, s.deliveries - 1);
  return {
    accepted: stats.accepted.size,
    stored: byKey.size,
    routed: [...byKey.values()].filter((s) => s.status === 'routed').length,
    held: [...byKey.values()].filter((s) => s.status === 'held').length,
    lost, duplicated,
    deliveries: [...byKey.values()].reduce((a, s) => a + s.deliveries, 0),
  };
}

/** Waits until every accepted registration is routed or held; ms taken, or null at the timeout. */
export async function waitDrained(db: Db, stats: LoadStats, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const o = await outcome(db, stats).catch(() => null);
    if (o && o.lost === 0) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 500));
  }
  return null;
}

/**
 * Personal data sent that shows up in a text (logs, Redis): NIKs, KKs and full names. Names are
 * searched as sent; KKs repeat across people in the fixtures, so each is searched once.
 */
export function personalDataFound(texts: string[], people: TestApplicant[]): string[] {
  const haystack = texts.join('\n');
  const needles = new Set<string>();
  for (const p of people) { needles.add(p.nik); needles.add(p.kk); needles.add(p.fullName); needles.add(p.motherName); }
  return [...needles].filter((n) => haystack.includes(n)).map((n) => (/^\d+$/.test(n) ? `${n.slice(0, 4)}…` : `${n.slice(0, 3)}…`));
}
