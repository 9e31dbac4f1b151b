/**
 * The matching parameters the hub resolves with: learned from the population on a command or a
 * schedule (never while a record is being resolved), each estimation kept as a row so that any
 * decision can be traced to the values it was made with. The identify stage picks up the newest
 * row at its next batch.
 */
import { desc, sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { identityParameterSets } from '../db/schema.js';
import {
  estimateParameters, type EstimateOptions, type EstimateResult, type IdentityConfig, type PersonRecord,
} from './identity/index.js';

export interface ParameterSet {
  id: number;
  createdAt: Date;
  createdBy: string;
  reason: string | null;
  records: number;
  learned: boolean;
  fields: IdentityConfig['fields'];
}

interface ResidentRow {
  id: number;
  nik: string | null;
  kk: string | null;
  full_name: string;
  sex: string | null;
  birth_date: string | null;
  birth_place: string | null;
  mother_name: string | null;
  address: string | null;
  dusun: string | null;
  rt: string | null;
  rw: string | null;
  village_code: string;
}

/**
 * OpenSID's alamat with RT and RW, as the engine compares addresses: the same for the parameters
 * learned here and for the identify stage's resolver (EngineResolver), so both see one address.
 */
export function addressWithRtRw(r: { address?: string | null; rt?: string | null; rw?: string | null }): string | null {
  const parts = [r.address, r.rt ? `RT ${r.rt}` : null, r.rw ? `RW ${r.rw}` : null].filter((s): s is string => !!s && s.trim().length > 0);
  return parts.length > 0 ? parts.join(' ') : null;
}

/** Active residents as the engine sees them (registrations are copies of residents' data). */
async function populationRecords(db: Queryable): Promise<PersonRecord[]> {
  const found = await rows<ResidentRow>(db, sql`
    select id, nik, kk, full_name, sex, birth_date::text as birth_date, birth_place, mother_name, address, dusun, rt, rw, village_code
    from resident_records where state = 'active'`);
  return found.map((r) => ({
    id: `resident:${r.id}`, fullName: r.full_name, nik: r.nik, kk: r.kk, sex: r.sex === 'M' || r.sex === 'F' ? r.sex : null,
    birthDate: r.birth_date, birthPlace: r.birth_place, motherName: r.mother_name, address: addressWithRtRw(r), locality: r.dusun,
    villageCode: r.village_code,
  }));
}

/**
 * Learns m and u from the active population and records them as the newest parameter set.
 * `createdBy` says who or what asked (a command, the schedule, a staff id).
 */
export async function reestimateIdentityParameters(
  db: Queryable, opts: { createdBy: string; reason?: string; estimate?: EstimateOptions },
): Promise<{ set: ParameterSet; estimate: EstimateResult }> {
  const records = await populationRecords(db);
  const estimate = estimateParameters(records, undefined, opts.estimate);
  const summary = {
    lambda: estimate.lambda, blockedPairs: estimate.blockedPairs, randomPairs: estimate.randomPairs,
    iterations: estimate.iterations, levels: estimate.levels,
  };
  const [row] = await db.insert(identityParameterSets).values({
    createdBy: opts.createdBy, reason: opts.reason ?? null, records: estimate.records, learned: estimate.learned,
    fields: estimate.config.fields, summary,
  }).returning();
  return { set: toSet(row!), estimate };
}

function toSet(r: typeof identityParameterSets.$inferSelect): ParameterSet {
  return {
    id: r.id, createdAt: r.createdAt, createdBy: r.createdBy, reason: r.reason, records: r.records, learned: r.learned,
    fields: r.fields as IdentityConfig['fields'],
  };
}

/** The newest parameter set, or null while none was estimated (the hand values apply). */
export async function currentIdentityParameters(db: Queryable): Promise<ParameterSet | null> {
  const [row] = await db.select().from(identityParameterSets).orderBy(desc(identityParameterSets.id)).limit(1);
  return row ? toSet(row) : null;
}
