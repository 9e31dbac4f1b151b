import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { kecamatanScope, villageScope } from '../../access/scope.js';
import { writeAudit } from '../../audit/log.js';
import { requestSync } from '../../connectors/sync/runs.js';
import { syncQueueOf } from '../../connectors/sync/queue.js';
import { checkMeaning, checkSource } from '../../connectors/sync/check.js';
import { sourceInScope, sourceRuns, sourceStatuses, villageActivity, type SourceStatus } from '../../overview/sources.js';
import { LAGGING_SECONDS } from '../../overview/worklist.js';
import { type Kit, notFoundPage } from '../kit.js';

const RUNS = 30;

interface Row {
  villageCode: string | null; name: string; source: SourceStatus | null; residents: number; lastReceivedAt: Date | null;
  /** 0 is worst: failing, then never sent, never succeeded, lagging, fine. */
  rank: number; state: string;
}

function rankOf(s: SourceStatus | null, lastReceivedAt: Date | null): [number, string] {
  if (s && (s.lastError || s.circuit === 'open')) return [0, s.circuit === 'open' ? 'gagal berulang (dijeda)' : 'gagal'];
  if (!s && !lastReceivedAt) return [1, 'belum pernah mengirim data'];
  if (s && s.lastSuccessAt === null && !lastReceivedAt) return [1, 'belum pernah berhasil'];
  if (s && s.lagSeconds !== null && s.lagSeconds > LAGGING_SECONDS) return [2, 'tertinggal'];
  if (!s && lastReceivedAt && Date.now() - new Date(lastReceivedAt).getTime() > LAGGING_SECONDS * 1000) return [2, 'tidak mengirim > 24 jam'];
  return [3, 'baik'];
}

const NOTICES: Record<string, string> = {
  started: 'Sinkronisasi dimulai; lihat riwayatnya di bawah.',
  running: 'Sinkronisasi sebelumnya masih berjalan.',
  disabled: 'Sumber data ini tidak aktif atau bukan konektor tarik.',
  'circuit-open': 'Sumber ini gagal berulang kali; jadwal dijeda. Periksa koneksi dulu.',
};

export async function sourcePages(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  const { db, config, ctx } = deps;
  const guard = kit.guard(['admin', 'kecamatan']);

  app.get('/sumber', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    const kec = kecamatanScope(staff.scope);
    const villages = [...(villageScope(staff.scope, config) ?? new Set(config.villages.keys()))];
    const [sources, activity] = await Promise.all([sourceStatuses(ctx, { kecamatanCode: kec }), villageActivity(db, villages)]);
    const byVillage = new Map<string, SourceStatus[]>();
    for (const s of sources) if (s.villageCode) byVillage.set(s.villageCode, [...(byVillage.get(s.villageCode) ?? []), s]);
    const out: Row[] = [];
    for (const v of villages) {
      const a = activity.get(v);
      for (const s of byVillage.get(v) ?? [null]) {
        const [rank, state] = rankOf(s, a?.lastReceivedAt ?? null);
        out.push({ villageCode: v, name: config.villages.get(v)?.name ?? v, source: s, residents: a?.residents ?? 0, lastReceivedAt: a?.lastReceivedAt ?? null, rank, state });
      }
    }
    // Kabupaten-wide sources (a Gabungan server) have no village of their own.
    for (const s of sources.filter((x) => !x.villageCode)) {
      const [rank, state] = rankOf(s, null);
      out.push({ villageCode: null, name: s.name ?? s.id, source: s, residents: s.records, lastReceivedAt: null, rank, state });
    }
    out.sort((a, b) => a.rank - b.rank || (b.source?.lagSeconds ?? Infinity) - (a.source?.lagSeconds ?? Infinity) || a.name.localeCompare(b.name));
    const sending = villages.filter((v) => activity.get(v)?.lastReceivedAt).length;
    return reply.view('sources', kit.view(req, reply, 'Sumber data', { rows: out, villages: villages.length, sending }));
  });

  app.get<{ Params: { id: string }; Querystring: { pesan?: string; periksa?: string; sebelum?: string } }>('/sumber/:id', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    const s = await sourceInScope(db, req.params.id.slice(0, 64), kecamatanScope(staff.scope));
    if (!s) throw notFoundPage('Sumber data');
    const [status] = (await sourceStatuses(ctx, { kecamatanCode: s.kecamatan_code })).filter((x) => x.id === s.id);
    const before = Number(req.query.sebelum) || undefined;
    const runs = await sourceRuns(db, s.id, RUNS + 1, before);
    return reply.view('source', kit.view(req, reply, `Sumber data ${s.id}`, {
      s: status, runs: runs.slice(0, RUNS), nextHref: runs.length > RUNS ? `/sumber/${encodeURIComponent(s.id)}?sebelum=${runs[RUNS - 1]!.id}` : null,
      notice: NOTICES[req.query.pesan ?? ''] ?? (req.query.periksa === 'ok' ? 'Koneksi baik: hub dapat menghubungi server desa dan masuk.' : null),
      error: req.query.periksa && req.query.periksa !== 'ok' ? checkMeaning(req.query.periksa) : null,
    }));
  });

  app.post<{ Params: { id: string } }>('/sumber/:id/sinkron', { preHandler: [app.csrfProtection, guard] }, async (req, reply) => {
    const staff = kit.staff(req);
    const s = await sourceInScope(db, req.params.id.slice(0, 64), kecamatanScope(staff.scope));
    if (!s) throw notFoundPage('Sumber data');
    const r = await requestSync(ctx, syncQueueOf(deps.queues), s.id, 'manual');
    await writeAudit(db, { ...staff.actor, action: 'source.sync', targetType: 'sources', targetId: s.id, regionCode: s.kecamatan_code, detail: { outcome: r.status } });
    return reply.redirect(`/sumber/${encodeURIComponent(s.id)}?pesan=${r.status === 'unknown' ? 'disabled' : r.status}`, 303);
  });

  app.post<{ Params: { id: string } }>('/sumber/:id/periksa', { preHandler: [app.csrfProtection, guard] }, async (req, reply) => {
    const staff = kit.staff(req);
    const s = await sourceInScope(db, req.params.id.slice(0, 64), kecamatanScope(staff.scope));
    if (!s) throw notFoundPage('Sumber data');
    const r = await checkSource(ctx, s.id, staff.actor.actor);
    const outcome = r.status === 'checked' ? (r.ok ? 'ok' : r.code) : r.status === 'not-pull' ? 'NOT_PULL' : 'UNKNOWN';
    return reply.redirect(`/sumber/${encodeURIComponent(s.id)}?periksa=${encodeURIComponent(outcome)}`, 303);
  });
}
