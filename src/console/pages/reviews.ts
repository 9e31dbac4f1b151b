import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { kecamatanScope, regionInScope, villageScope } from '../../access/scope.js';
import { regionDigits } from '../../config/regionCode.js';
import { writeAudit } from '../../audit/log.js';
import {
  checkReason, countReviewCases, decideCase, listReviewCases, reviewCaseDetail, reviewCaseRow, ReviewError, splitCase, type Decision,
} from '../../pipeline/review/index.js';
import { type Kit, notFoundPage, PageError } from '../kit.js';

const PAGE = 50;

export const STATUS_TEXT: Record<string, string> = { open: 'Terbuka', same: 'Sama (digabung)', different: 'Berbeda' };

const NOTICES: Record<string, string> = {
  same: 'Tersimpan: kedua catatan adalah orang yang sama dan sudah digabung.',
  different: 'Tersimpan: kedua catatan adalah orang yang berbeda.',
  split: 'Penggabungan dipisahkan; kasus terbuka kembali.',
  unchanged: 'Kasus ini sudah diputuskan begitu sebelumnya; tidak ada yang berubah.',
  taken: 'Kasus ini sudah diputuskan petugas lain sebelum Anda; keputusan Anda tidak disimpan. Lihat keputusannya di bawah.',
};

/** The fields staff compare, in the order they read them. */
const FIELDS: Array<[key: string, label: string]> = [
  ['nik', 'NIK'], ['kk', 'No. KK'], ['fullName', 'Nama lengkap'], ['sex', 'Jenis kelamin'], ['birthDate', 'Tanggal lahir'],
  ['birthPlace', 'Tempat lahir'], ['motherName', 'Nama ibu kandung'], ['address', 'Alamat'], ['villageCode', 'Desa/tiyuh'],
];

const ERRORS: Record<string, string> = {
  REASON_REQUIRED: 'Alasan keputusan wajib diisi (3–500 karakter). Keputusan belum disimpan.',
  REASON_TOO_LONG: 'Alasan paling panjang 500 karakter. Keputusan belum disimpan.',
  CASE_NOT_MERGED: 'Hanya kasus yang diputuskan "Sama" yang dapat dipisahkan.',
  MERGE_RECORD_MISSING: 'Catatan penggabungan kasus ini tidak ada di log audit, sehingga tidak dapat dipisahkan otomatis.',
};

const norm = (v: unknown) => (v == null ? '' : String(v).trim().toUpperCase().replace(/\s+/g, ' '));

export async function reviewPages(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  const { db, config } = deps;
  const guard = kit.guard(['admin', 'kecamatan']);

  /** A case in the user's kecamatan, or a not-found page (another kecamatan's case does not exist for them). */
  async function caseInScope(staffScope: Parameters<typeof regionInScope>[0], id: number) {
    const c = Number.isSafeInteger(id) && id > 0 && id < 2 ** 31 ? await reviewCaseRow(db, id) : null;
    if (!c || !regionInScope(staffScope, c.kecamatan_code)) throw notFoundPage('Kasus tinjauan');
    return c;
  }

  app.get<{ Querystring: { desa?: string; kecamatan?: string; status?: string; setelah?: string } }>('/kasus', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    let kec = kecamatanScope(staff.scope);
    if (!kec && req.query.kecamatan) {
      const k = regionDigits(req.query.kecamatan);
      if (k && config.kecamatans.has(k)) kec = k;
    }
    const villages = [...(villageScope(staff.scope, config) ?? new Set(config.villages.keys()))].filter((v) => !kec || v.startsWith(kec)).sort();
    const village = req.query.desa ? regionDigits(req.query.desa) : null;
    if (req.query.desa && (!village || !villages.includes(village))) throw new PageError(403, 'Desa/tiyuh itu di luar wilayah Anda.');
    const status = ['open', 'same', 'different'].includes(req.query.status ?? '') ? req.query.status! : 'open';
    const after = Number(req.query.setelah) || 0;
    const filter = { kecamatan: kec, village: village ?? undefined, status, limit: PAGE + 1, after };
    const [total, list] = await Promise.all([countReviewCases(db, filter), listReviewCases(db, filter)]);
    const items = list.slice(0, PAGE);
    const query = (extra: Record<string, string | number>) => {
      const q = new URLSearchParams();
      if (village) q.set('desa', village);
      if (kec && !kecamatanScope(staff.scope)) q.set('kecamatan', kec);
      if (status !== 'open') q.set('status', status);
      for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
      return `/kasus?${q}`;
    };
    return reply.view('reviews', kit.view(req, reply, 'Kasus tinjauan', {
      items, total, villages, village, kec, status, statusText: STATUS_TEXT, isAdmin: staff.user.role === 'admin',
      kecamatans: [...config.kecamatans.values()],
      nextHref: list.length > PAGE ? query({ setelah: items[items.length - 1]!.id }) : null,
      firstHref: after ? query({}) : null,
    }));
  });

  app.get<{ Params: { id: string }; Querystring: { pesan?: string; galat?: string } }>('/kasus/:id', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    const c = await caseInScope(staff.scope, Number(req.params.id));
    const { citizens, ...detail } = await reviewCaseDetail(db, c);
    await writeAudit(db, {
      ...staff.actor, action: 'review.read', targetType: 'review_cases', targetId: String(c.id), regionCode: c.kecamatan_code,
      detail: { citizens, record: { kind: detail.record.kind, id: detail.record.id } },
    });
    const left = detail.record.person as Record<string, unknown> | null;
    const right = detail.candidate.golden as Record<string, unknown> | null;
    const rowsOut = FIELDS.map(([key, label]) => ({ key, label, left: left?.[key] ?? null, right: right?.[key] ?? null, differs: norm(left?.[key]) !== norm(right?.[key]) }));
    const [next] = await listReviewCases(db, { kecamatan: kecamatanScope(staff.scope), status: 'open', limit: 1, after: c.id });
    return reply.view('review', kit.view(req, reply, `Kasus tinjauan #${c.id}`, {
      c: detail, rows: rowsOut, statusText: STATUS_TEXT, nextId: next?.id ?? null,
      notice: NOTICES[req.query.pesan ?? ''] ?? null, error: ERRORS[req.query.galat ?? ''] ?? null,
    }));
  });

  async function decide(id: string, staffReq: Parameters<Kit['staff']>[0], run: (reason: string) => Promise<{ changed: boolean }>, done: string) {
    const staff = kit.staff(staffReq);
    const c = await caseInScope(staff.scope, Number(id));
    const body = staffReq.body as { reason?: string } | undefined;
    const r = checkReason(body?.reason);
    if (!r.ok) return { error: r.code, caseId: c.id };
    try {
      const outcome = await run(r.reason);
      return { pesan: outcome.changed ? done : 'unchanged', caseId: c.id };
    } catch (err) {
      if (err instanceof ReviewError && err.code === 'CASE_ALREADY_DECIDED') return { pesan: 'taken', caseId: c.id };
      if (err instanceof ReviewError && err.code !== 'CASE_NOT_FOUND') return { error: err.code, caseId: c.id };
      throw err;
    }
  }

  app.post<{ Params: { id: string }; Body: { decision?: string; reason?: string } }>('/kasus/:id/putusan', {
    preHandler: [app.csrfProtection, guard],
  }, async (req, reply) => {
    const staff = kit.staff(req);
    const decision = req.body?.decision;
    if (decision !== 'same' && decision !== 'different') throw new PageError(400, 'Pilih Sama atau Berbeda.');
    const r = await decide(req.params.id, req, async (reason) => {
      const outcome = await decideCase(db, deps.queues, Number(req.params.id), decision as Decision, { label: staff.actor.actor, userId: staff.user.id }, reason);
      if (outcome.routingDeferred) req.log.warn({ caseId: outcome.caseId }, 'route enqueue failed; left to the recovery sweep');
      return outcome;
    }, decision);
    if ('error' in r) return reply.redirect(`/kasus/${r.caseId}?galat=${r.error}`, 303);
    return reply.redirect(`/kasus/${r.caseId}?pesan=${r.pesan}`, 303);
  });

  app.post<{ Params: { id: string }; Body: { reason?: string } }>('/kasus/:id/pisahkan', {
    preHandler: [app.csrfProtection, guard],
  }, async (req, reply) => {
    const staff = kit.staff(req);
    const r = await decide(req.params.id, req, (reason) => splitCase(db, Number(req.params.id), { label: staff.actor.actor, userId: staff.user.id }, reason), 'split');
    if ('error' in r) return reply.redirect(`/kasus/${r.caseId}?galat=${r.error}`, 303);
    return reply.redirect(`/kasus/${r.caseId}?pesan=${r.pesan}`, 303);
  });
}
