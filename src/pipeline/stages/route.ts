import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import { arrayParam } from '../../db/sqlArrays.js';
import { kecamatanOf } from '../../config/regionCode.js';
import type { HubConfig } from '../../config/load.js';
import type { PipelineContext } from '../context.js';
import { noteBulkWrite } from '../../db/statistics.js';

export interface Route { agency: string; level: 'kabupaten' | 'kecamatan'; kecamatanCode: string | null; queue: string }

/** Catalogue → agency; a kecamatan-level service goes to the queue of the applicant village's kecamatan. */
export function routeRegistration(config: HubConfig, serviceCode: string, applicantVillage: string): Route | null {
  const service = config.services.get(serviceCode);
  if (!service) return null;
  if (service.level === 'kabupaten') {
    return { agency: service.agency, level: 'kabupaten', kecamatanCode: null, queue: `kab:${service.agency}` };
  }
  const kec = kecamatanOf(applicantVillage);
  return { agency: service.agency, level: 'kecamatan', kecamatanCode: kec, queue: `kec:${kec}:${service.agency}` };
}

/**
 * Where an identified registration goes next: routed to its agency queue, held (a service that must
 * not be served to a possibly duplicated identity waits for its review case), or nowhere (a service no
 * longer in the catalogue: it stays identified and visible). The identify stage routes a batch's
 * registrations with it as it writes their identity; the route stage, those released or replayed.
 */
export function routeOutcome(config: HubConfig, serviceCode: string, applicantVillage: string, identity: string | null): { status: 'routed'; route: Route } | { status: 'held' } | null {
  const service = config.services.get(serviceCode);
  const r = routeRegistration(config, serviceCode, applicantVillage);
  if (!service || !r) return null;
  if (service.holdUntilIdentityResolved && identity === 'provisional') return { status: 'held' };
  return { status: 'routed', route: r };
}

interface Row { id: number; service_code: string; village: string; identity: string | null }

/**
 * identified → routed (a delivery row in the agency queue), or held: a service that must not be
 * served to a possibly duplicated identity waits for its review case.
 */
export async function routeStage(ctx: PipelineContext, ids: number[]): Promise<{ routed: number[]; held: number[] }> {
  const done = await ctx.db.transaction(async (tx) => {
    // Each registration by its key, in id order (as identify reads them): as one list the planner could
    // take the in-flight index on stale statistics and read every registration in flight per batch.
    const found = await rows<Row>(tx, sql`
      select s.* from unnest(${arrayParam([...new Set(ids)].sort((a, b) => a - b), 'int')}) as u(id)
      cross join lateral (
        select id, service_code, coalesce(applicant->>'villageCode', village_code) as village, identity
        from registrations where id = u.id and status = 'identified' for update skip locked) s
      order by s.id`);
    const route: { id: number; r: Route }[] = [];
    const held: number[] = [];
    for (const f of found) {
      const next = routeOutcome(ctx.config, f.service_code, f.village, f.identity);
      if (next?.status === 'held') held.push(f.id);
      else if (next) route.push({ id: f.id, r: next.route });
    }
    if (route.length) {
      // The registrations are updated by key (`= any(array(...))`, a list whose length the planner does
      // not see): joined to 2,000 ids, the update was planned as a hash of every registration.
      const idArr = arrayParam(route.map((x) => x.id), 'int');
      const agency = arrayParam(route.map((x) => x.r.agency), 'text');
      const level = arrayParam(route.map((x) => x.r.level), 'text');
      const kec = arrayParam(route.map((x) => x.r.kecamatanCode), 'text');
      const queue = arrayParam(route.map((x) => x.r.queue), 'text');
      await tx.execute(sql`
        insert into deliveries (registration_id, agency_code, level, kecamatan_code, queue)
        select * from unnest(${idArr}, ${agency}, ${level}, ${kec}, ${queue})
        on conflict (registration_id) do nothing`);
      await tx.execute(sql`
        update registrations r set status = 'routed', route_agency = u.agency, route_level = u.level,
               route_kecamatan = u.kec, updated_at = now()
        from unnest(${idArr}, ${agency}, ${level}, ${kec}) as u(id, agency, level, kec)
        where r.id = any(array(select unnest(${idArr}))) and r.id = u.id`);
    }
    if (held.length) {
      // Locked above while 'identified': no status test, which would invite the in-flight index.
      await tx.execute(sql`update registrations r set status = 'held', updated_at = now()
        where r.id = any(array(select unnest(${arrayParam(held, 'int')})))`);
    }
    return { routed: route.map((x) => x.id), held };
  });
  noteBulkWrite(ctx.db, 'deliveries', done.routed.length, ctx.log);
  return done;
}
