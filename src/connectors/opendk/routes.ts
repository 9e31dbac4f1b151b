import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import multipart from '@fastify/multipart';
import { sql } from 'drizzle-orm';
import type { AppDeps } from '../../api/app.js';
import type { Principal } from '../../api/keys.js';
import { HubError, toHubError } from '../../api/problem.js';
import { dottedRegion, regionDigits } from '../../config/regionCode.js';
import { deleteResidents } from '../../pipeline/intake/residents.js';
import { FileRefusal } from '../spreadsheet/refusal.js';
import { ingestRows, type FileIngestResult } from '../spreadsheet/residentFile.js';
import { opendkAuth, villagesOf } from './auth.js';
import { MAX_ZIP_BYTES, readPendudukZip } from './penduduk.js';
import { deletionsAnswer, recordUpload, SHOWN_PROBLEMS, takeUploadOutcome, type UploadOutcome } from './uploadOutcome.js';

/**
 * OpenSID puts `message` (and on a 422 `errors`) into its notification HTML as they are: the hub's
 * text, which quotes values from the village's file, is escaped first.
 */
export const htmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
import { programBantuanRoutes } from './programBantuanRoutes.js';

/** OpenDK's answer shape, which OpenSID's `opendk_api()` reads: `{status, message}`. */
function answer(reply: FastifyReply, status: 'success' | 'danger', message: string, data: Record<string, unknown> = {}) {
  return reply.code(200).send({ status, message: htmlText(message), ...data });
}
const success = (reply: FastifyReply, message: string, data: Record<string, unknown> = {}) => answer(reply, 'success', message, data);

class OpendkRefusal extends Error {
  constructor(readonly status: number, readonly code: string, readonly text: { id: string; en: string }, readonly field?: string) { super(text.en); }
}

/**
 * "Kode desa X tidak terdaftar di kecamatan" is OpenDK's wording for a kecamatan token; a village's own
 * token is told which village it is for.
 */
function unregistered(p: Principal, raw: string, where?: string) {
  const at = where ? ` (${where})` : '';
  if (p.villageCode) {
    return new OpendkRefusal(400, 'VILLAGE_OUT_OF_SCOPE',
      { id: `Kode desa ${raw} bukan desa token ini; token ini hanya untuk desa ${dottedRegion(p.villageCode)}${at}.`, en: `Village code ${raw} is not this token's village; the token is for village ${dottedRegion(p.villageCode)} only${at}.` }, 'desa_id');
  }
  return new OpendkRefusal(400, 'VILLAGE_OUT_OF_SCOPE',
    { id: `Kode desa ${raw} tidak terdaftar di kecamatan${p.kecamatanCode ? ` ${dottedRegion(p.kecamatanCode)}` : ''}${at}.`, en: `Village code ${raw} is not registered in this token's kecamatan${at}.` }, 'desa_id');
}

/**
 * Every error in OpenDK's shape, so the OpenSID screen shows the reason instead of "Gagal terhubung".
 * `status: "danger"` is what OpenSID renders red; `errors`, which OpenSID puts into its text on a 422,
 * is a string.
 */
export function opendkError(err: FastifyError | HubError | FileRefusal | OpendkRefusal): { status: number; body: Record<string, unknown> } {
  if (err instanceof OpendkRefusal || err instanceof FileRefusal || err instanceof HubError) {
    const details = err instanceof HubError && err.errors && err.errors.length > 1 ? err.errors.map((e) => e.message.id).join(' ') : undefined;
    return {
      status: err.status,
      body: {
        status: 'danger', message: htmlText(err.text.id), code: err.code, ...(err.field ? { field: err.field } : {}),
        ...(details ? { errors: htmlText(details) } : {}), detail: err.text.en,
      },
    };
  }
  const code = (err as FastifyError).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, body: { status: 'danger', message: 'Berkas melebihi batas 5 MB atau berisi lebih dari satu berkas.', code: 'FILE_TOO_LARGE', field: 'file', detail: 'The upload exceeds 5 MB or holds more than one file.' } };
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return { status: 400, body: { status: 'danger', message: 'Kirim berkas ZIP sebagai multipart/form-data dengan kolom "file".', code: 'FILE_MISSING', field: 'file', detail: 'Send the ZIP as multipart/form-data in field "file".' } };
  }
  const e = toHubError(err as FastifyError);
  // Laravel answers a request that fails validation with 422; OpenSID shows message and errors for it.
  if (e.status === 400 && (err as FastifyError).validation) return opendkError(new HubError(422, e.code, e.text, e.field, e.errors));
  if (e.status < 500) return opendkError(e);
  return { status: 500, body: { status: 'danger', message: 'Terjadi kesalahan pada Tiyuh Hub; data yang sudah diterima tetap aman. Coba kirim ulang.', code: 'INTERNAL' } };
}

/** The upload's outcome as the deletions answer will tell it. */
function acceptedOutcome(r: FileIngestResult): UploadOutcome {
  const bad = r.problems.filter((p) => p.status === 'quarantined');
  return {
    accepted: true, rows: r.rows, created: r.created, updated: r.updated, unchanged: r.unchanged, quarantined: r.quarantined,
    problems: bad.slice(0, SHOWN_PROBLEMS).map((p) => `baris ${p.row} (id ${p.localId}): ${(p.errors ?? []).map((e) => e.message.id).join(' ')}`),
    moreProblems: Math.max(0, bad.length - SHOWN_PROBLEMS),
  };
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
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ status: 'danger', message: htmlText(`Alamat ${req.method} ${req.url.split('?')[0]} tidak ada di Tiyuh Hub.`) }));
  const auth = opendkAuth(deps.keys, deps.limiter);
  // OpenSID reads status and message; the rest is what the hub adds for the operator.
  const answered = { 200: { type: 'object', additionalProperties: true, properties: { status: { type: 'string' }, message: { type: 'string' } } } } as const;

  /** Checks that every village a request names is one the token covers; OpenDK refuses the whole request otherwise. */
  const inScope = (p: Principal, raw: string, where?: string) => {
    const digits = regionDigits(raw);
    const allowed = villagesOf(p, config);
    if (!digits || digits.length !== 10 || !config.villages.has(digits) || (allowed && !allowed.has(digits))) throw unregistered(p, raw, where);
    return digits;
  };

  app.get('/test', { preHandler: auth, schema: { summary: 'OpenSID connection test', response: answered } }, async (_req, reply) =>
    success(reply, 'Koneksi ke Tiyuh Hub berhasil.'));
  app.post('/penduduk/test', { preHandler: auth, schema: { summary: 'OpenSID connection test (penduduk)', response: answered } }, async (_req, reply) =>
    success(reply, 'Koneksi ke Tiyuh Hub berhasil.'));

  app.post('/penduduk/storedata', {
    preHandler: auth,
    schema: { summary: 'OpenSID "Kirim ke OpenDK" population upload: multipart file = ZIP (≤ 5 MB) holding one XLSX in OpenSID\'s header; rows upserted on (desa_id, id)', response: answered },
  }, async (req, reply) => {
    const p = req.principal;
    let fileVillage: string | null = null;
    try {
      const file = await req.file();
      if (!file || file.fieldname !== 'file') {
        throw new OpendkRefusal(400, 'FILE_MISSING', { id: 'Berkas ZIP data penduduk (kolom "file") wajib dikirim.', en: 'The population ZIP (field "file") is required.' }, 'file');
      }
      const bytes = await file.toBuffer();
      const { inputs, rowNumbers } = readPendudukZip(bytes);
      const checked = new Map<string, string>();
      inputs.forEach((input, i) => {
        const raw = String(input.villageCode ?? '').trim();
        if (!raw) return;
        const digits = regionDigits(raw);
        fileVillage ??= digits && digits.length === 10 ? digits : null;
        const known = checked.get(raw) ?? inScope(p, raw, `baris ke-${rowNumbers[i]}`);
        checked.set(raw, known);
        input.villageCode = known;
      });
      const result = await ingestRows(ctx, inputs, rowNumbers, { channel: 'opendk', allowedVillages: villagesOf(p, config), apiKeyId: p.keyId });
      await recordUpload(ctx, { apiKeyId: p.keyId, villageCode: fileVillage, inboxId: result.inboxId, outcome: acceptedOutcome(result) });
      return answer(reply, result.quarantined ? 'danger' : 'success',
        `Data Penduduk OpenSID diterima Tiyuh Hub: ${result.created} baru, ${result.updated} berubah, ${result.unchanged} tetap, ${result.quarantined} dikarantina (tidak diterima).`, {
          inbox_id: result.inboxId, baris: result.rows, baru: result.created, berubah: result.updated, tetap: result.unchanged, dikarantina: result.quarantined,
          // The first problem rows help an operator fix them in OpenSID.
          masalah: result.problems.filter((q) => q.status === 'quarantined').slice(0, 50)
            .map((q) => ({ baris: q.row, id: q.localId, kesalahan: (q.errors ?? []).map((e) => `${e.field}: ${e.message.id}`) })),
        });
    } catch (err) {
      const { status, body } = opendkError(err as FastifyError);
      // A refusal is kept for the deletions answer; a fault of the hub itself (5xx) is not the file's.
      if (status < 500) {
        await recordUpload(ctx, { apiKeyId: p.keyId, villageCode: fileVillage, inboxId: null, outcome: { accepted: false, reason: String(body.message), code: String(body.code) } })
          .catch((e: Error) => req.log.warn({ err: e.message }, 'could not keep the upload outcome'));
      }
      throw err;
    }
  });

  app.post('/penduduk', {
    preHandler: auth,
    schema: {
      summary: 'OpenSID deletions (log_hapus_penduduk): {"hapus_penduduk": [{desa_id, id_pend_desa, foto}]}; records are marked deleted, kept with history',
      response: answered,
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
    const p = req.principal;
    const items = (req.body as { hapus_penduduk: { desa_id: string; id_pend_desa: number | string }[] }).hapus_penduduk;
    const list = items.map((it, i) => ({ villageCode: inScope(p, it.desa_id, `hapus_penduduk.${i}`), localId: String(it.id_pend_desa) }));
    const result = await deleteResidents(ctx, list, { channel: 'opendk', allowedVillages: villagesOf(p, config), apiKeyId: p.keyId, raw: req.body });
    const upload = await takeUploadOutcome(ctx, p.keyId, [...new Set(list.map((l) => l.villageCode))]);
    const { status, message } = deletionsAnswer(upload?.outcome ?? null, { deleted: result.deleted, unknown: result.unknown });
    return answer(reply, status, message, {
      inbox_id: result.inboxId, dihapus: result.deleted, tidak_dikenal: result.unknown,
      unggahan: upload ? { desa_id: upload.villageCode ? dottedRegion(upload.villageCode) : null, ...upload.outcome } : null,
    });
  });

  app.post('/identitas-desa', {
    preHandler: auth,
    schema: { summary: 'OpenSID village identity: form {kode_desa, sebutan_desa, website, path}', response: answered },
  }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const raw = typeof body.kode_desa === 'string' ? body.kode_desa : '';
    if (!raw) throw new OpendkRefusal(422, 'FIELD_REQUIRED', { id: 'Kolom kode_desa wajib diisi.', en: 'kode_desa is required.' }, 'kode_desa');
    const village = inScope(req.principal, raw);
    const detail = Object.fromEntries(['sebutan_desa', 'website', 'path'].map((k) => [k, typeof body[k] === 'string' ? (body[k] as string).slice(0, 300) : null]));
    await ctx.db.execute(sql`insert into audit_log (actor, action, target_type, target_id, region_code, detail)
      values (${`opendk-key:${req.principal.keyId}`}, 'opendk.identitas_desa', 'village', ${village}, ${village}, ${JSON.stringify(detail)}::jsonb)`);
    return success(reply, 'Proses sinkronisasi identitas desa sudah selesai');
  });

  app.post('/pesan/getpesan', { preHandler: auth, schema: { summary: 'OpenSID polls kecamatan messages; the hub sends none', response: answered } }, async (_req, reply) =>
    success(reply, 'Tidak ada pesan baru.', { data: [] }));

  await programBantuanRoutes(app, deps, auth);

  for (const [path, name] of Object.entries(NOT_TAKEN)) {
    app.post(`/${path}`, { preHandler: auth, bodyLimit: 32 * 1024 * 1024, schema: { summary: `${name}: not taken by the hub (answered with the reason)`, response: { 422: { type: 'object', properties: { status: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } } } }, async (_req, reply) =>
      reply.code(422).send({
        status: 'danger', code: 'MODULE_NOT_TAKEN',
        message: `Tiyuh Hub hanya menerima Identitas Desa, Data Penduduk dan Program Bantuan; data ${name} tidak disimpan. Kirim ${name} ke server OpenDK kecamatan.`,
      }));
  }
};
