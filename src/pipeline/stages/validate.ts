import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { arrayParam, jsonTexts } from '../../db/sqlArrays.js';
import type { PipelineContext } from '../context.js';
import { checkRegistration } from '../validate/registration.js';

interface Row { id: number; village_code: string; external_id: string; service_code: string; submitted_at: string | Date | null; applicant: Record<string, unknown>; details: unknown }

/**
 * accepted → validated | quarantined. Records from every channel pass the same rules here; the push
 * API runs them before answering too, so this mostly confirms, but a catalogue change between intake
 * and now is caught.
 */
export async function validateStage(ctx: PipelineContext, ids: number[]): Promise<{ validated: number[]; quarantined: number[] }> {
  const result = await ctx.db.transaction(async (tx) => {
    const found = await rows<Row>(tx, sql`
      select id, village_code, external_id, service_code, submitted_at, applicant, details
      from registrations where id = any(${arrayParam(ids, 'int')}) and status = 'accepted'
      for update skip locked`);
    if (found.length === 0) return { validated: [], quarantined: [] };
    const status: string[] = [];
    const errors: unknown[] = [];
    const warnings: unknown[] = [];
    for (const r of found) {
      const submittedAt = r.submitted_at == null ? undefined : new Date(r.submitted_at).toISOString();
      const applicant = Object.fromEntries(Object.entries(r.applicant).filter(([, v]) => v != null));
      const check = checkRegistration(
        { externalId: r.external_id, service: r.service_code, submittedAt, applicant, details: r.details ?? undefined },
        ctx.config, r.village_code,
      );
      status.push(check.ok ? 'validated' : 'quarantined');
      errors.push(check.ok ? null : check.errors);
      warnings.push(check.ok && check.warnings.length ? check.warnings : null);
    }
    const moved = await rows<{ id: number; status: string }>(tx, sql`
      update registrations r set status = u.status, errors = u.errors::jsonb, warnings = u.warnings::jsonb, updated_at = now()
      from unnest(${arrayParam(found.map((r) => r.id), 'int')}, ${arrayParam(status, 'text')},
                  ${arrayParam(jsonTexts(errors), 'text')}, ${arrayParam(jsonTexts(warnings), 'text')}) as u(id, status, errors, warnings)
      where r.id = u.id and r.status = 'accepted'
      returning r.id, r.status`);
    const quarantined = moved.filter((m) => m.status === 'quarantined').map((m) => m.id);
    if (quarantined.length) {
      await tx.execute(sql`
        insert into quarantine (inbox_id, kind, village_code, external_id, payload, errors)
        select r.inbox_id, 'registration', r.village_code, r.external_id,
               jsonb_build_object('registrationId', r.id, 'externalId', r.external_id, 'service', r.service_code, 'applicant', r.applicant, 'details', r.details),
               r.errors
        from registrations r where r.id = any(${arrayParam(quarantined, 'int')})`);
    }
    return { validated: moved.filter((m) => m.status === 'validated').map((m) => m.id), quarantined };
  });
  await ctx.queues.enqueue('identify', result.validated);
  return result;
}
