import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { villageScope } from '../../access/scope.js';
import { regionDigits } from '../../config/regionCode.js';
import { writeAudit } from '../../audit/log.js';
import { listQuarantine, replayQuarantine, type QuarantineItem, type QuarantineScope, type ReplayAnswer } from '../../pipeline/intake/quarantine.js';
import type { RecordError } from '../../pipeline/validate/recordError.js';
import { type Kit, notFoundPage, PageError } from '../kit.js';

const PAGE = 50;
const MAX_REPLAY = 200;

/** The scalar fields of a quarantined payload a person can correct: top-level ones and the applicant's. */
export function editableFields(payload: unknown): Array<{ path: string; value: string; number: boolean }> {
  const out: Array<{ path: string; value: string; number: boolean }> = [];
  const walk = (obj: unknown, prefix: string, depth: number) => {
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return;
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'registrationId') continue;
      const path = prefix ? `${prefix}.${k}` : k;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push({ path, value: v === null ? '' : String(v), number: typeof v === 'number' });
      else if (depth === 0 && k === 'applicant') walk(v, path, 1);
    }
  };
  walk(payload, '', 0);
  return out;
}

/** The stored payload with the form's values put in: an emptied field becomes null, a number stays a number. */
export function correctedPayload(payload: unknown, form: Record<string, unknown>): unknown {
  const copy = structuredClone(payload) as Record<string, unknown>;
  for (const field of editableFields(payload)) {
    const raw = form[`f.${field.path}`];
    if (typeof raw !== 'string') continue;
    const text = raw.trim();
    const value = text === '' ? null : field.number && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    const parts = field.path.split('.');
    let target = copy;
    for (const p of parts.slice(0, -1)) target = target[p] as Record<string, unknown>;
    target[parts[parts.length - 1]!] = value;
  }
  return copy;
}

/** A name staff recognise a record by, from its payload. */
export function payloadName(payload: unknown): string | null {
  const p = payload as { fullName?: unknown; applicant?: { fullName?: unknown } } | null;
  const name = p?.fullName ?? p?.applicant?.fullName;
  return typeof name === 'string' ? name : null;
}

/** Indonesian names of the fields villages send; the sent name stays in brackets, as errors cite it. */
const FIELD_NAMES: Record<string, string> = {
  localId: 'ID penduduk di sistem desa', villageCode: 'Kode desa/tiyuh', nik: 'NIK', kk: 'No. KK', fullName: 'Nama lengkap', sex: 'Jenis kelamin',
  birthDate: 'Tanggal lahir (tttt-bb-hh)', birthPlace: 'Tempat lahir', religion: 'Agama (kode 1–7)', maritalStatus: 'Status kawin (kode 1–4)',
  familyRole: 'Hubungan dalam keluarga (kode)', education: 'Pendidikan (kode)', occupation: 'Pekerjaan (kode)', citizenship: 'Kewarganegaraan (kode)',
  fatherName: 'Nama ayah', motherName: 'Nama ibu kandung', address: 'Alamat', dusun: 'Dusun', rt: 'RT', rw: 'RW', statusDasar: 'Status dasar (kode)',
  externalId: 'Nomor pendaftaran di sistem desa', service: 'Kode layanan', submittedAt: 'Waktu pengajuan', phone: 'Telepon',
};

export const fieldLabel = (path: string) => {
  const name = FIELD_NAMES[path.replace(/^applicant\./, '')];
  return name ? `${path.startsWith('applicant.') ? 'Pemohon: ' : ''}${name} (${path})` : path;
};

const errorFields = (errors: RecordError[]) => new Map(errors.map((e) => [e.field.replace(/^applicant\./, 'applicant.'), e.message.id]));

export async function quarantinePages(app: FastifyInstance, deps: AppDeps, kit: Kit) {
  const { ctx, config } = deps;
  const guard = kit.guard(['admin', 'kecamatan', 'tiyuh']);
  const scopeOf = (req: FastifyRequest): QuarantineScope => ({ villages: villageScope(kit.staff(req).scope, config), apiKeyId: null });

  async function one(req: FastifyRequest, id: number): Promise<QuarantineItem> {
    if (!Number.isSafeInteger(id) || id < 1 || id >= 2 ** 31) throw notFoundPage('Data karantina');
    const staff = kit.staff(req);
    const villages = villageScope(staff.scope, config);
    // The list function carries the scope rule; one id is a list of one.
    const { items } = await listQuarantine(ctx, scopeOf(req), { limit: 1, after: id - 1 });
    const item = items[0];
    if (!item || item.id !== id || (villages && !villages.has(item.villageCode ?? ''))) throw notFoundPage('Data karantina');
    return item;
  }

  app.get<{ Querystring: { desa?: string; jenis?: string; status?: string; setelah?: string } }>('/karantina', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    const scope = scopeOf(req);
    const villages = [...(scope.villages ?? new Set(config.villages.keys()))].sort();
    const village = req.query.desa ? regionDigits(req.query.desa) : null;
    if (req.query.desa && (!village || !villages.includes(village))) throw new PageError(403, 'Desa/tiyuh itu di luar wilayah Anda.');
    const kind = req.query.jenis === 'resident' || req.query.jenis === 'registration' ? req.query.jenis : undefined;
    const status = req.query.status === 'replayed' ? 'replayed' : 'open';
    const after = Number(req.query.setelah) || 0;
    const result = await listQuarantine(ctx, scope, { village: village ?? undefined, kind, status, limit: PAGE + 1, after });
    const items = result.items.slice(0, PAGE);
    await writeAudit(ctx.db, {
      ...staff.actor, action: 'quarantine.read', targetType: 'village', targetId: village, regionCode: village ?? staff.user.villageCode ?? staff.user.kecamatanCode,
      detail: { count: items.length, ids: items.map((i) => i.id) },
    });
    const q = new URLSearchParams({ ...(village ? { desa: village } : {}), ...(kind ? { jenis: kind } : {}), ...(status !== 'open' ? { status } : {}) });
    return reply.view('quarantine', kit.view(req, reply, 'Karantina', {
      items, total: result.total, villages, village, kind, status, payloadName,
      nextHref: result.items.length > PAGE ? `/karantina?${q}&setelah=${items[items.length - 1]!.id}` : null,
      firstHref: after ? `/karantina?${q}` : null,
    }));
  });

  app.get<{ Params: { id: string } }>('/karantina/:id', { preHandler: guard }, async (req, reply) => {
    const staff = kit.staff(req);
    const item = await one(req, Number(req.params.id));
    await writeAudit(ctx.db, { ...staff.actor, action: 'quarantine.read', targetType: 'quarantine', targetId: String(item.id), regionCode: item.villageCode });
    return reply.view('quarantineItem', kit.view(req, reply, `Data karantina #${item.id}`, {
      item, fields: editableFields(item.payload), errorsByField: errorFields(item.errors), payloadName, fieldLabel,
    }));
  });

  async function replay(req: FastifyRequest, items: { id: number; payload?: unknown }[]): Promise<ReplayAnswer[]> {
    const staff = kit.staff(req);
    const answers = await replayQuarantine(ctx, items, scopeOf(req), { apiKeyId: null });
    await writeAudit(ctx.db, {
      ...staff.actor, action: 'quarantine.replay', targetType: 'quarantine', targetId: items.map((i) => i.id).join(','), regionCode: staff.user.villageCode ?? staff.user.kecamatanCode,
      detail: { corrected: items.some((i) => i.payload !== undefined), outcomes: answers.map((a) => ({ id: a.id, status: a.status, recordId: a.recordId, quarantineId: a.quarantineId })) },
    });
    return answers;
  }

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/karantina/:id', { preHandler: [app.csrfProtection, guard] }, async (req, reply) => {
    const item = await one(req, Number(req.params.id));
    if (item.status !== 'open') throw new PageError(409, `Data karantina #${item.id} sudah diproses (${item.status}).`);
    const answers = await replay(req, [{ id: item.id, payload: correctedPayload(item.payload, req.body ?? {}) }]);
    return reply.view('replayed', kit.view(req, reply, 'Hasil putar ulang', { answers }));
  });

  app.post<{ Body: { id?: string | string[] } }>('/karantina/putar-ulang', { preHandler: [app.csrfProtection, guard] }, async (req, reply) => {
    const raw = req.body?.id;
    const ids = [...new Set((Array.isArray(raw) ? raw : raw ? [raw] : []).map(Number).filter((n) => Number.isSafeInteger(n) && n > 0 && n < 2 ** 31))];
    if (ids.length === 0) throw new PageError(400, 'Pilih paling sedikit satu data untuk diputar ulang.');
    if (ids.length > MAX_REPLAY) throw new PageError(413, `Paling banyak ${MAX_REPLAY} data sekali putar ulang.`);
    const answers = await replay(req, ids.map((id) => ({ id })));
    return reply.view('replayed', kit.view(req, reply, 'Hasil putar ulang', { answers }));
  });
}
