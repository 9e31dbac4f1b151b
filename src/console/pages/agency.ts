import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { agencyScope } from '../../access/scope.js';
import { writeAudit } from '../../audit/log.js';
import { ackItem, claimItems, countItems, itemWithApplicant, listItems, type ItemStatus, type QueueScope } from '../../agency/items.js';
import { type Kit, notFoundPage, PageError } from '../kit.js';

const PAGE = 50;
/** A desk works an item through the day; after this its lease runs out and another desk may take it. */
const LEASE_SECONDS = 4 * 3600;
const STATUSES: ItemStatus[] = ['waiting', 'claimed', 'acked', 'cancelled'];
export const ITEM_STATUS_TEXT: Record<string, string> = { waiting: 'Menunggu', claimed: 'Sedang diproses', acked: 'Diterima instansi', cancelled: 'Dibatalkan tiyuh' };

const NOTICES: Record<string, string> = {
  diambil: 'Item sudah Anda ambil; data pemohon ditampilkan di bawah.',
  kosong: 'Tidak ada item yang menunggu.',
  dikonfirmasi: 'Item dikonfirmasi diterima instansi.',
  sudah: 'Item ini sudah diambil petugas lain.',
};

/** The applicant's fields in the order a desk reads them. */
const APPLICANT_FIELDS: Array<[string, string]> = [
  ['fullName', 'Nama lengkap'], ['nik', 'NIK'], ['kk', 'No. KK'], ['sex', 'Jenis kelamin'], ['birthPlace', 'Tempat lahir'], ['birthDate', 'Tanggal lahir'],
  ['motherName', 'Nama ibu kandung'], ['address', 'Alamat'], ['rt', 'RT'], ['rw', 'RW'], ['dusun', 'Dusun'], ['villageCode', 'Desa/tiyuh'], ['phone', 'Telepon'],
];

export async function agencyPages(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  const { db, config } = deps;
  const guard = kit.guard(['admin', 'instansi']);

  /** The queue the user works: their agency (and kecamatan); the admin picks an agency. */
  function queueOf(req: FastifyRequest, requested?: string): QueueScope {
    const staff = kit.staff(req);
    const agency = staff.user.role === 'admin' ? (requested && config.agencies.has(requested) ? requested : [...config.agencies.keys()][0]!) : staff.user.agencyCode ?? '';
    const s = agencyScope(staff.scope, agency);
    if (!s.allowed) throw new PageError(403, 'Antrean ini milik instansi lain.');
    return { agency, kecamatan: s.kecamatan };
  }
  const qs = (req: FastifyRequest, q: QueueScope) => (kit.staff(req).user.role === 'admin' ? `?instansi=${q.agency}` : '');
  const itemId = (raw: string) => {
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id < 1 || id >= 2 ** 31) throw notFoundPage('Item antrean');
    return id;
  };

  app.get<{ Querystring: { status?: string; setelah?: string; instansi?: string; pesan?: string } }>('/antrean', { preHandler: guard }, async (req, reply) => {
    const q = queueOf(req, req.query.instansi);
    const status = (STATUSES as string[]).includes(req.query.status ?? '') ? req.query.status as ItemStatus : 'waiting';
    const after = Number(req.query.setelah) || 0;
    const [counts, list] = await Promise.all([countItems(db, q), listItems(db, q, { status, after, limit: PAGE + 1 })]);
    const items = list.slice(0, PAGE);
    const base = `/antrean?${new URLSearchParams({ ...(kit.staff(req).user.role === 'admin' ? { instansi: q.agency } : {}), status })}`;
    return reply.view('agency', kit.view(req, reply, 'Antrean instansi', {
      q, status, counts, items, statuses: STATUSES, statusText: ITEM_STATUS_TEXT, agency: config.agencies.get(q.agency),
      agencies: kit.staff(req).user.role === 'admin' ? [...config.agencies.values()] : null,
      services: config.services, notice: NOTICES[req.query.pesan ?? ''] ?? null, qs: qs(req, q),
      nextHref: list.length > PAGE ? `${base}&setelah=${items[items.length - 1]!.id}` : null, firstHref: after ? base : null,
    }));
  });

  app.post<{ Body: { id?: string; instansi?: string } }>('/antrean/ambil', { preHandler: [app.csrfProtection, guard] }, async (req, reply) => {
    const staff = kit.staff(req);
    const q = queueOf(req, req.body?.instansi);
    const ids = req.body?.id ? [itemId(req.body.id)] : undefined;
    const [item] = await claimItems(db, q, { max: 1, leaseSeconds: LEASE_SECONDS, ids }, staff.actor);
    if (!item) return reply.redirect(ids ? `/antrean/${ids[0]}${qs(req, q)}${qs(req, q) ? '&' : '?'}pesan=sudah` : `/antrean${qs(req, q)}${qs(req, q) ? '&' : '?'}pesan=kosong`, 303);
    return reply.redirect(`/antrean/${item.id}${qs(req, q)}${qs(req, q) ? '&' : '?'}pesan=diambil`, 303);
  });

  async function openItem(req: FastifyRequest<{ Params: { id: string }; Querystring: { instansi?: string } }>) {
    const staff = kit.staff(req);
    const q = queueOf(req, req.query.instansi);
    const item = await itemWithApplicant(db, q, itemId(req.params.id));
    if (!item) throw notFoundPage('Item antrean');
    // The applicant is shown once the item is taken (as the API answers it at claim); each view is audited.
    const showApplicant = item.status !== 'waiting';
    if (showApplicant) {
      await writeAudit(db, { ...staff.actor, action: 'agency.read', targetType: 'deliveries', targetId: String(item.id), regionCode: item.kecamatan_code, detail: { registration: item.registration_id } });
    }
    return { q, item, showApplicant };
  }

  app.get<{ Params: { id: string }; Querystring: { instansi?: string; pesan?: string } }>('/antrean/:id', { preHandler: guard }, async (req, reply) => {
    const { q, item, showApplicant } = await openItem(req);
    return reply.view('agencyItem', kit.view(req, reply, `Item antrean #${item.id}`, {
      q, item, showApplicant, fields: APPLICANT_FIELDS, statusText: ITEM_STATUS_TEXT, service: config.services.get(item.service_code),
      notice: NOTICES[req.query.pesan ?? ''] ?? null, qs: qs(req, q), instansi: kit.staff(req).user.role === 'admin' ? q.agency : null,
    }));
  });

  app.get<{ Params: { id: string }; Querystring: { instansi?: string } }>('/antrean/:id/cetak', { preHandler: guard }, async (req, reply) => {
    const { q, item, showApplicant } = await openItem(req);
    if (!showApplicant) throw new PageError(409, 'Ambil item ini dulu sebelum mencetaknya.');
    return reply.view('agencyPrint', kit.view(req, reply, `Item antrean #${item.id}`, {
      q, item, fields: APPLICANT_FIELDS, service: config.services.get(item.service_code), agency: config.agencies.get(q.agency), printedAt: new Date(),
    }));
  });

  app.post<{ Params: { id: string }; Body: { instansi?: string } }>('/antrean/:id/konfirmasi', { preHandler: [app.csrfProtection, guard] }, async (req, reply) => {
    const staff = kit.staff(req);
    const q = queueOf(req, req.body?.instansi);
    const r = await ackItem(db, q, itemId(req.params.id), staff.actor);
    if (r.status === 'not-found') throw notFoundPage('Item antrean');
    if (r.status === 'not-claimed') throw new PageError(409, 'Ambil item ini dulu sebelum mengonfirmasinya.');
    return reply.redirect(`/antrean/${r.id}${qs(req, q)}${qs(req, q) ? '&' : '?'}pesan=dikonfirmasi`, 303);
  });
}
