import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { regionPrefix } from '../../access/scope.js';
import { writeAudit } from '../../audit/log.js';
import { citizenDetail, citizenInRegion, goldenOut, recordsOut, searchCitizens } from '../../pipeline/review/index.js';
import { type Kit, notFoundPage } from '../kit.js';

const PAGE = 25;

export async function citizenPages(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  const { db } = deps;
  const guard = kit.guard(['admin', 'kecamatan', 'tiyuh']);

  app.get<{ Querystring: { q?: string; setelah?: string; bagian?: string } }>('/warga', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    const q = (req.query.q ?? '').trim().slice(0, 100);
    let error: string | null = null;
    let hits: Awaited<ReturnType<typeof searchCitizens>> = [];
    const after = Number(req.query.setelah) || 0;
    const byName = !/^\d{16}$/.test(q.replace(/[\s.]/g, ''));
    let anyWord = req.query.bagian === '1';
    if (q && q.replace(/\D/g, '').length !== 16 && q.length < 3) error = 'Ketik NIK atau No. KK (16 angka), atau paling sedikit 3 huruf awal nama (nama depan atau nama lain mana pun).';
    else if (q) {
      hits = await searchCitizens(db, q, regionPrefix(staff.scope), { after, limit: PAGE + 1, anyWord });
      // No name starts so: any word of the name then (a scan, so only when the quick search found nothing).
      if (byName && !anyWord && !after && hits.length === 0) {
        anyWord = true;
        hits = await searchCitizens(db, q, regionPrefix(staff.scope), { after, limit: PAGE + 1, anyWord });
      }
      // A result list shows names and NIKs: who searched for what, and whom they saw.
      await writeAudit(db, {
        ...staff.actor, action: 'citizen.search', targetType: 'citizens', targetId: null, regionCode: regionPrefix(staff.scope),
        detail: { kind: /^\d{16}$/.test(q.replace(/[\s.]/g, '')) ? 'number' : 'name', results: hits.slice(0, PAGE).map((h) => h.id) },
      });
    }
    const more = hits.length > PAGE;
    hits = hits.slice(0, PAGE);
    return reply.view('citizens', kit.view(req, reply, 'Warga', {
      q, hits, error,
      nextHref: more ? `/warga?${new URLSearchParams({ q, ...(anyWord ? { bagian: '1' } : {}), setelah: String(hits[hits.length - 1]!.id) })}` : null,
      anyWordHref: q && !error && byName && !anyWord ? `/warga?${new URLSearchParams({ q, bagian: '1' })}` : null,
      anyWord,
    }));
  });

  app.get<{ Params: { id: string } }>('/warga/:id', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    const id = Number(req.params.id);
    const found = Number.isSafeInteger(id) && id > 0 && id < 2 ** 31 ? await citizenDetail(db, id) : null;
    const region = regionPrefix(staff.scope);
    // Another region's citizen does not exist for this user: the same answer as an unknown id.
    if (!found || (region && !(await citizenInRegion(db, [found.row.id, found.root], region)))) throw notFoundPage('Warga');
    const records = await recordsOut(db, found.row.id);
    await writeAudit(db, {
      ...staff.actor, action: 'citizen.read', targetType: 'citizens', targetId: String(found.row.id), regionCode: region,
      detail: { records: records.length },
    });
    return reply.view('citizen', kit.view(req, reply, `Warga #${found.row.id}`, {
      c: found.row, golden: goldenOut(found.row), root: found.root, records,
    }));
  });
}
