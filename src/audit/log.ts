import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';

/** One line of the audit log: who (a key's label or a staff user), did what, to which record, in which region. */
export interface AuditEntry {
  actor: string;
  userId?: number | null;
  action: string;
  targetType: string;
  targetId: string | null;
  regionCode: string | null;
  detail?: Record<string, unknown>;
}

export async function writeAudit(db: Queryable, e: AuditEntry): Promise<void> {
  await db.execute(sql`insert into audit_log (actor, user_id, action, target_type, target_id, region_code, detail)
    values (${e.actor}, ${e.userId ?? null}, ${e.action}, ${e.targetType}, ${e.targetId}, ${e.regionCode},
            ${e.detail ? JSON.stringify(e.detail) : null}::jsonb)`);
}

export interface AuditRow {
  id: number; at: Date; actor: string; user_id: number | null; action: string; target_type: string | null; target_id: string | null;
  region_code: string | null; detail: unknown;
}

/**
 * The audit log newest first, before `before` (keyset); `region` keeps a kecamatan to its own entries
 * (a region code prefix), null is the kabupaten. Filters match the start of the action and the actor.
 */
export async function listAudit(db: Queryable, f: { region: string | null; action?: string; actor?: string; targetType?: string; targetId?: string; before?: number; limit: number }): Promise<AuditRow[]> {
  const esc = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);
  return rows<AuditRow>(db, sql`
    select id, at, actor, user_id, action, target_type, target_id, region_code, detail from audit_log
    where true ${f.region ? sql`and region_code like ${`${esc(f.region)}%`}` : sql``}
      ${f.action ? sql`and action like ${`${esc(f.action)}%`}` : sql``}
      ${f.actor ? sql`and actor = ${f.actor}` : sql``}
      ${f.targetType ? sql`and target_type = ${f.targetType}` : sql``}
      ${f.targetId ? sql`and target_id = ${f.targetId}` : sql``}
      ${f.before ? sql`and id < ${f.before}` : sql``}
    order by id desc limit ${f.limit}`);
}
