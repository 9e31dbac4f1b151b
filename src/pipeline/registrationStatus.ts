import { sql } from 'drizzle-orm';
import { rows, type Db } from '../db/client.js';

/** A registration as its village and kecamatan follow it: status, route, problems; no applicant data. */
export interface RegistrationStatus {
  id: number;
  externalId: string;
  service: string;
  status: string;
  villageCode: string;
  identity?: string;
  route?: { agency: string; level: string | null; kecamatanCode?: string };
  errors?: unknown;
  warnings?: unknown;
  createdAt: string;
  updatedAt: string;
}

/**
 * One registration by the hub's id or by the village system's own externalId (unique per village), or
 * null. Scope is the caller's: `villages` limits what is found (null: every village).
 */
export async function findRegistration(db: Db, by: { id: number } | { villageCode: string; externalId: string }, villages: Set<string> | null): Promise<RegistrationStatus | null> {
  const where = 'id' in by ? sql`id = ${by.id}` : sql`village_code = ${by.villageCode} and external_id = ${by.externalId}`;
  const [r] = await rows<{
    id: number; external_id: string; service_code: string; status: string; village_code: string; identity: string | null;
    route_agency: string | null; route_level: string | null; route_kecamatan: string | null; errors: unknown; warnings: unknown;
    created_at: Date; updated_at: Date;
  }>(db, sql`select id, external_id, service_code, status, village_code, identity, route_agency, route_level, route_kecamatan,
              errors, warnings, created_at, updated_at from registrations where ${where}`);
  if (!r || (villages && !villages.has(r.village_code))) return null;
  return {
    id: r.id, externalId: r.external_id, service: r.service_code, status: r.status, villageCode: r.village_code,
    ...(r.identity ? { identity: r.identity } : {}),
    ...(r.route_agency ? { route: { agency: r.route_agency, level: r.route_level, ...(r.route_kecamatan ? { kecamatanCode: r.route_kecamatan } : {}) } } : {}),
    ...(r.errors ? { errors: r.errors } : {}),
    ...(r.warnings ? { warnings: r.warnings } : {}),
    createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
  };
}
