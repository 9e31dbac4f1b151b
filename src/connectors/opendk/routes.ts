import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import multipart from '@fastify/multipart';
import { sql } from 'drizzle-orm';
import type { AppDeps } from '../../api/app.js';
import { HubError, toHubError } from '../../api/problem.js';
import { regionDigits } from '../../config/regionCode.js';
import { deleteResidents } from '../../pipeline/intake/residents.js';
import { FileRefusal } from '../spreadsheet/refusal.js';
import { ingestRows } from '../spreadsheet/residentFile.js';
import { opendkAuth, villagesOf } from './auth.js';
import { MAX_ZIP_BYTES, readPendudukZip } from './penduduk.js';
import { programBantuanRoutes } from './programBantuanRoutes.js';

/** OpenDK's answer shape, which OpenSID's `opendk_api()` reads: `{status, message}`. */
function success(reply: FastifyReply, message: string, data: Record<string, unknown> = {}) {
  return reply.code(200).send({ status: 'success', message, ...data });
}

class OpendkRefusal extends Error {
  constructor(readonly status: number, readonly code: string, readonly text: { id: string; en: string }, readonly field?: string) { super(text.en); }
}

/** "Kode desa X tidak terdaftar di kecamatan": OpenDK's words for a village the token does not cover. */
const unregistered = (raw: string, where = '') => new OpendkRefusal(400, 'VILLAGE_OUT_OF_SCOPE',
  { id: `Kode desa ${raw} tidak terdaftar di kecamatan${where}`, en: `Village code ${raw} is not registered for this token${where ? ` (${where.trim()})` : ''}` }, 'desa_id');

/** Every error in OpenDK's shape, so the OpenSID screen shows the reason instead of "Gagal terhubung". */
function opendkError(err: FastifyError | HubError | FileRefusal | OpendkRefusal): { status: number; body: Record<string, unknown> } {
  if (err instanceof OpendkRefusal || err instanceof FileRefusal || err instanceof HubError) {
    return { status: err.status, body: { status: 'error', message: err.text.id, code: err.code, ...(err.field ? { field: err.field } : {}), detail: err.text.en } };
  }
  const code = (err as FastifyError).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, body: { status: 'error', message: 'Berkas melebihi batas 5 MB atau berisi lebih dari satu berkas.', code: 'FILE_TOO_LARGE', field: 'file', detail: 'The upload exceeds 5 MB or holds more than one file.' } };
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return { status: 400, body: { status: 'error', message: 'Kirim berkas ZIP sebagai multipart/form-data dengan kolom "file".', code: 'FILE_MISSING', field: 'file', detail: 'Send the ZIP as multipart/form-data in field "file".' } };
  }
  const e = toHubError(err as FastifyError);
  if (e.status < 500) return opendkError(e);
  return { status: 500, body: { status: 'error', message: 'Terjadi kesalahan pada Tiyuh Hub; data yang sudah diterima tetap aman. Coba kirim ulang.', code: 'INTERNAL' } };
}

/** OpenDK modules the hub does not take: answered with the reason, never a false success. */
const NOT_TAKEN: Record<string, string> = {
  'laporan-apbdes': 'Laporan APBDes', 'laporan-penduduk': 'Laporan Penduduk', pembangunan: 'Pembangunan',
  'pembangunan/dokumentasi': 'Dokumentasi Pembangunan',
  pesan: 'Pesan', 'surat/kirim': 'Surat',
};

/**
 * The OpenDK API as OpenSID's "Kirim ke OpenDK" uses it (opensid.md §2): a village points
 * `api_opendk_server` at the hub and pastes a hub token. Registered under /api/v1.
 */
export const opendkRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { ctx, config } = deps;
  await app.register(multipart, { limits: { fileSize: MAX_ZIP_BYTES, files: 1, fields: 20, parts: 25 } });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, body } = opendkError(err);
    if (status >= 500) req.log.error({ err: { message: err.message, stack: err.stack } }, 'opendk request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ status: 'error', message: `Alamat ${req.method} ${req.url.split('?')[0]} tidak ada di Tiyuh Hub.` }));
  const auth = opendkAuth(deps.keys, deps.limiter);

  /** Checks that every village a request names is one the token covers; OpenDK refuses the whole request otherwise. */
  const inScope = (allowed: Set<string> | null, raw: string, where = '') => {
    const digits = regionDigits(raw);
    if (!digits || digits.length !== 10 || !config.villages.has(digits) || (allowed && !allowed.has(digits))) throw unregistered(raw, where);
    return digits;
  };

  app.get('/test', { preHandler: auth, schema: { summary: 'OpenSID connection test' } }, async (_req, reply) =>
    success(reply, 'Koneksi ke Tiyuh Hub berhasil.'));
  app.post('/penduduk/test', { preHandler: auth, schema: { summary: 'OpenSID connection test (penduduk)' } }, async (_req, reply) =>
    success(reply, 'Koneksi ke Tiyuh Hub berhasil.'));

  app.post('/penduduk/storedata', {
    preHandler: auth,
    schema: { summary: 'OpenSID "Kirim ke OpenDK" population upload: multipart file = ZIP (≤ 5 MB) holding one XLSX in OpenSID\'s header; rows upserted on (desa_id, id)' },
  }, async (req, reply) => {
    const file = await req.file();
    if (!file || file.fieldname !== 'file') {
      throw new OpendkRefusal(400, 'FILE_MISSING', { id: 'Berkas ZIP data penduduk (kolom "file") wajib dikirim.', en: 'The population ZIP (field "file") is required.' }, 'file');
    }
    const bytes = await file.toBuffer();
    const { inputs, rowNumbers } = readPendudukZip(bytes);
    const allowed = villagesOf(req.principal, config);
    const checked = new Map<string, string>();
    inputs.forEach((input, i) => {
      const raw = String(input.villageCode ?? '').trim();
      if (!raw) return;
      const digits = checked.get(raw) ?? inScope(allowed, raw, ` (baris ke-${rowNumbers[i]})`);
      checked.set(raw, digits);
      input.villageCode = digits;
    });
    const result = await ingestRows(ctx, inputs, rowNumbers, { channel: 'opendk', allowedVillages: allowed, apiKeyId: req.principal.keyId });
    return success(reply,
      `Data Penduduk OpenSID diterima Tiyuh Hub: ${result.created} baru, ${result.updated} berubah, ${result.unchanged} tetap, ${result.quarantined} dikarantina.`, {
        inbox_id: result.inboxId, baris: result.rows, baru: result.created, berubah: result.updated, tetap: result.unchanged, dikarantina: result.quarantined,
        // OpenSID shows `message`; the first problem rows help an operator fix them in OpenSID.
        masalah: result.problems.filter((p) => p.status === 'quarantined').slice(0, 50)
          .map((p) => ({ baris: p.row, id: p.localId, kesalahan: (p.errors ?? []).map((e) => `${e.field}: ${e.message.id}`) })),
      });
  });

  app.post('/penduduk', {
    preHandler: auth,
    schema: {
      summary: 'OpenSID deletions (log_hapus_penduduk): {"hapus_penduduk": [{desa_id, id_pend_desa, foto}]}; records are marked deleted, kept with history',
      body: {
        type: 'object', required: ['hapus_penduduk'],
        properties: {
          hapus_penduduk: {
            type: 'array', maxItems: 20_000,
            items: {
              type: 'object', required: ['desa_id', 'id_pend_desa'],
              properties: { desa_id: { type: 'string', maxLength: 13 }, id_pend_desa: { type: ['integer', 'string'], pattern: '^[0-9]{1,40}$' }, foto: { type: ['string', 'null'] } },
            },
          },
        },
      },
    },
  }, async (req, reply) => {
    const items = (req.body as { hapus_penduduk: { desa_id: string; id_pend_desa: number | string }[] }).hapus_penduduk;
    const allowed = villagesOf(req.principal, config);
    const list = items.map((it, i) => ({ villageCode: inScope(allowed, it.desa_id, ` (hapus_penduduk.${i})`), localId: String(it.id_pend_desa) }));
    const result = await deleteResidents(ctx, list, { channel: 'opendk', allowedVillages: allowed, apiKeyId: req.principal.keyId, raw: req.body });
    return success(reply, 'Proses sync Data Penduduk OpenSID sedang berjalan', { inbox_id: result.inboxId, dihapus: result.deleted, tidak_dikenal: result.unknown });
  });

  app.post('/identitas-desa', {
    preHandler: auth,
    schema: { summary: 'OpenSID village identity: form {kode_desa, sebutan_desa, website, path}' },
  }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const raw = typeof body.kode_desa === 'string' ? body.kode_desa : '';
    if (!raw) throw new OpendkRefusal(422, 'FIELD_REQUIRED', { id: 'Kolom kode_desa wajib diisi.', en: 'kode_desa is required.' }, 'kode_desa');
    const village = inScope(villagesOf(req.principal, config), raw);
    const detail = Object.fromEntries(['sebutan_desa', 'website', 'path'].map((k) => [k, typeof body[k] === 'string' ? (body[k] as string).slice(0, 300) : null]));
    await ctx.db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${`opendk-key:${req.principal.keyId}`}, 'opendk.identitas_desa', 'village', ${village}, ${village}, ${JSON.stringify(detail)}::jsonb)`);
    return success(reply, 'Proses sinkronisasi identitas desa sudah selesai');
  });

  app.post('/pesan/getpesan', { preHandler: auth, schema: { summary: 'OpenSID polls kecamatan messages; the hub sends none' } }, async (_req, reply) =>
    success(reply, 'Tidak ada pesan baru.', { data: [] }));

  await programBantuanRoutes(app, deps, auth);

  for (const [path, name] of Object.entries(NOT_TAKEN)) {
    app.post(`/${path}`, { preHandler: auth, bodyLimit: 32 * 1024 * 1024, schema: { summary: `${name}: not taken by the hub (answered with the reason)` } }, async (_req, reply) =>
      reply.code(422).send({
        status: 'error', code: 'MODULE_NOT_TAKEN',
        message: `Tiyuh Hub hanya menerima Identitas Desa, Data Penduduk dan Program Bantuan; data ${name} tidak disimpan. Kirim ${name} ke server OpenDK kecamatan.`,
      }));
  }
};
