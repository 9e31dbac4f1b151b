import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { citizenRoots } from '../pipeline/review/index.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { HubError } from './problem.js';
import { GOLDEN_COLUMNS, goldenOut, recordSchema, recordsOut, type GoldenRow } from './reviewCases.js';

const citizenNotFound = new HubError(404, 'CITIZEN_NOT_FOUND', { id: 'Penduduk tidak ditemukan.', en: 'Citizen not found.' }, 'id');

export const citizenRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { db } = deps;

  app.get<{ Params: { id: number } }>('/v1/citizens/:id', {
    preHandler: requireKey(deps.keys, deps.limiter, ['kecamatan']),
    schema: {
      summary: 'A citizen\'s golden record and every source record behind it; the read is audited',
      description: 'A kecamatan key sees a citizen only when one of their records (or of the citizen they were merged into) is in its kecamatan. A merged citizen answers with mergedInto, the surviving citizen.',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } },
      response: {
        200: {
          type: 'object',
          properties: {
            id: { type: 'integer' }, mergedInto: { type: ['integer', 'null'] }, golden: recordSchema.properties.person,
            records: { type: 'array', items: recordSchema }, createdAt: { type: 'string' }, updatedAt: { type: 'string' },
          },
        },
      },
    },
  }, async (req) => {
    const p = req.principal;
    const [c] = await rows<GoldenRow>(db, sql`select ${GOLDEN_COLUMNS} from citizens where id = ${req.params.id}`);
    if (!c) throw citizenNotFound;
    const root = c.merged_into === null ? c.id : (await citizenRoots(db, [c.id])).get(c.id) ?? c.id;
    if (p.role !== 'admin') {
      const [inScope] = await rows<{ ok: number }>(db, sql`
        select 1 as ok from citizen_records
        where citizen_id in (${c.id}, ${root}) and left(village_code, 6) = ${p.kecamatanCode ?? '-'} limit 1`);
      if (!inScope) throw citizenNotFound;
    }
    const records = await recordsOut(db, c.id);
    await db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${p.label}, 'citizen.read', 'citizens', ${String(c.id)}, ${p.role === 'admin' ? null : p.kecamatanCode},
              ${JSON.stringify({ keyId: p.keyId, records: records.length })}::jsonb)`);
    return {
      id: c.id,
      mergedInto: c.merged_into === null ? null : root,
      golden: goldenOut(c),
      records,
      createdAt: new Date(c.created_at).toISOString(),
      updatedAt: new Date(c.updated_at).toISOString(),
    };
  });
};
