import type { FastifyPluginAsync } from 'fastify';
import { citizenDetail, citizenInRegion } from '../pipeline/review/index.js';
import { kecamatanScope } from '../access/scope.js';
import { writeAudit } from '../audit/log.js';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { HubError } from './problem.js';
import { goldenOut, recordSchema, recordsOut } from './reviewCases.js';

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
    const found = await citizenDetail(db, req.params.id);
    if (!found) throw citizenNotFound;
    const { row: c, root } = found;
    const kec = kecamatanScope(p);
    if (kec && !(await citizenInRegion(db, [c.id, root], kec))) throw citizenNotFound;
    const records = await recordsOut(db, c.id);
    await writeAudit(db, {
      actor: p.label, action: 'citizen.read', targetType: 'citizens', targetId: String(c.id), regionCode: kec, detail: { keyId: p.keyId, records: records.length },
    });
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
