import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';

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
