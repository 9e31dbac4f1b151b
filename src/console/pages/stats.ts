/** Statistik: the figures a kabupaten decides on, with charts and exports; the same domain functions as /v1/stats. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { kecamatanScope } from '../../access/scope.js';
import { writeAudit } from '../../audit/log.js';
import { dataQuality, pyramid, serviceFigures, StatsError, villageFigures } from '../../stats/queries.js';
import { aidReach, doubleEnrolments } from '../../aid/doubleEnrolment.js';
import { exportTable, type ExportTable } from '../../stats/export.js';
import { aidTable, doubleEnrolmentTable, pyramidTable, qualityTable, servicesTable, villagesTable, waitsTable } from '../../stats/tables.js';
import { type Kit, PageError } from '../kit.js';
import { barsSvg, pyramidSvg } from './statsCharts.js';

interface Q { kecamatan?: string; desa?: string; dari?: string }

/** Files hold the whole table; pages show it in parts. */
const EXPORT_ROWS = 200_000;

const asPage = (err: unknown): never => {
  if (err instanceof StatsError) throw new PageError(err.status, err.text.id);
  throw err;
};

export async function statsPages(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  const { db, config } = deps;
  const guard = kit.guard(['admin', 'kecamatan', 'tiyuh']);
  const filter = (q: Q) => ({ kecamatan: q.kecamatan || undefined, village: q.desa || undefined });

  app.get<{ Querystring: Q }>('/statistik', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    const f = filter(req.query);
    const [villages, pyr, quality, services, aid] = await Promise.all([
      villageFigures(db, config, staff.scope, f), pyramid(db, config, staff.scope, f), dataQuality(db, config, staff.scope, f),
      serviceFigures(db, config, staff.scope, { kecamatan: f.kecamatan, limit: 1 }), aidReach(db, config, staff.scope, f),
    ]).catch(asPage);
    const weekly = new Map<string, number>();
    for (const r of services?.weekly ?? []) weekly.set(r.week, r.registrations);
    const region = villages.region.village ?? villages.region.kecamatan;
    const where = region ? deps.config.villages.get(region)?.name ?? deps.config.kecamatans.get(region)?.name ?? region : 'seluruh wilayah Anda';
    const kecamatans = [...config.kecamatans.entries()].filter(([code]) => !kecamatanScope(staff.scope) || code === kecamatanScope(staff.scope))
      .map(([code, r]) => ({ code, name: r.name }));
    const qs = new URLSearchParams(Object.entries(req.query).filter(([, v]) => v) as [string, string][]).toString();
    return reply.view('statistik', kit.view(req, reply, 'Statistik', {
      villages, pyr, quality, services, aid, where, kecamatans, query: req.query, qs: qs ? `?${qs}` : '',
      isAdmin: staff.user.role === 'admin', isVillage: staff.user.role === 'tiyuh',
      pyramidChart: pyramidSvg(pyr.groups, 'piramida', `Piramida penduduk ${where}`),
      weeklyChart: weekly.size ? barsSvg([...weekly.entries()].map(([w, n]) => ({ label: `Minggu ${w}`, value: n })), 'mingguan', 'Pendaftaran layanan per minggu') : null,
    }));
  });

  app.get<{ Querystring: Q }>('/statistik/penerima-ganda', { preHandler: kit.guard(['admin', 'kecamatan']) }, async (req, reply) => {
    const staff = kit.staff(req);
    const offset = Math.max(0, Number.parseInt(req.query.dari ?? '0', 10) || 0);
    const r = await doubleEnrolments(db, config, staff.scope, { ...filter(req.query), limit: 200, offset }).catch(asPage);
    await writeAudit(db, { ...staff.actor, action: 'aid.double_enrolment.read', targetType: 'aid_participants', targetId: null, regionCode: r.region.kecamatan ?? kecamatanScope(staff.scope), detail: { pairs: r.items.length, offset } });
    const keep = Object.entries(req.query).filter(([k, v]) => v && k !== 'dari') as [string, string][];
    const qs = new URLSearchParams(keep).toString();
    const pageUrl = (from: number) => `/statistik/penerima-ganda?${new URLSearchParams([...keep, ['dari', String(from)]]).toString()}`;
    return reply.view('penerima-ganda', kit.view(req, reply, 'Penerima ganda', { r, qs: qs ? `?${qs}` : '', pageUrl }));
  });

  const tables: Record<string, (req: FastifyRequest<{ Querystring: Q }>) => Promise<ExportTable>> = {
    penduduk: async (req) => villagesTable(await villageFigures(db, config, kit.staff(req).scope, filter(req.query))),
    piramida: async (req) => pyramidTable(await pyramid(db, config, kit.staff(req).scope, filter(req.query))),
    mutu: async (req) => qualityTable(await dataQuality(db, config, kit.staff(req).scope, filter(req.query))),
    bantuan: async (req) => aidTable(await aidReach(db, config, kit.staff(req).scope, filter(req.query))),
    layanan: async (req) => servicesTable(await serviceFigures(db, config, kit.staff(req).scope, { kecamatan: req.query.kecamatan || undefined, limit: EXPORT_ROWS }, EXPORT_ROWS)),
    tunggu: async (req) => waitsTable(await serviceFigures(db, config, kit.staff(req).scope, { kecamatan: req.query.kecamatan || undefined, limit: 1 })),
    'penerima-ganda': async (req) => {
      const staff = kit.staff(req);
      if (staff.user.role === 'tiyuh') throw new PageError(403, 'Halaman ini bukan untuk peran Anda.');
      const r = await doubleEnrolments(db, config, staff.scope, { ...filter(req.query), limit: EXPORT_ROWS }, EXPORT_ROWS);
      await writeAudit(db, { ...staff.actor, action: 'aid.double_enrolment.export', targetType: 'aid_participants', targetId: null, regionCode: r.region.kecamatan ?? kecamatanScope(staff.scope), detail: { pairs: r.items.length } });
      return doubleEnrolmentTable(r);
    },
  };

  app.get<{ Params: { table: string; format: string }; Querystring: Q }>('/statistik/unduh/:table/:format', { preHandler: guard }, async (req, reply: FastifyReply) => {
    const make = tables[req.params.table];
    if (!make || (req.params.format !== 'csv' && req.params.format !== 'xlsx')) throw new PageError(404, 'Tabel itu tidak ada.');
    const file = await exportTable(await make(req).catch(asPage), req.params.format);
    return reply.type(file.type).header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${file.filename}"`).send(file.body);
  });
}
