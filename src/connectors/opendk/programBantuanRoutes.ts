/**
 * OpenSID "Kirim ke OpenDK" Program Bantuan and its participants, received like OpenDK does: multipart
 * `file` = ZIP(CSV) and `desa_id`, the same token rules as the population upload. Registered inside the
 * OpenDK plugin (its multipart, error shape and token check).
 */
import type { FastifyInstance, FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import type { AppDeps } from '../../api/app.js';
import { regionDigits } from '../../config/regionCode.js';
import { ingestParticipants, ingestPrograms, type AidResult, type AidSubmission } from '../../aid/intake.js';
import type { RecordError } from '../../pipeline/validate/recordError.js';
import { FileRefusal } from '../spreadsheet/refusal.js';
import { villagesOf } from './auth.js';
import { readProgramBantuanZip } from './programBantuanZip.js';

const outOfScope = (raw: string): RecordError => ({
  field: 'desa_id', code: 'VILLAGE_OUT_OF_SCOPE',
  message: { id: `Kode desa ${raw} tidak terdaftar di kecamatan untuk token ini.`, en: `Village ${raw} is outside the scope of this token.` },
});

function answer(reply: FastifyReply, what: string, r: AidResult, shifted: number) {
  const linked = r.linked === undefined ? '' : `, ${r.linked} dikenali sebagai penduduk, ${r.unlinked} belum dikenali`;
  return reply.code(200).send({
    status: r.quarantined ? 'warning' : 'success',
    message: `${what} diterima Tiyuh Hub: ${r.created} baru, ${r.updated} berubah, ${r.unchanged} tetap, ${r.quarantined} dikarantina${linked}.`,
    inbox_id: r.inboxId, baris: r.rows, baru: r.created, berubah: r.updated, tetap: r.unchanged, dikarantina: r.quarantined,
    ...(r.linked === undefined ? {} : { dikenali: r.linked, belum_dikenali: r.unlinked }),
    kolom_bergeser_diperbaiki: shifted,
    masalah: r.problems.slice(0, 50).map((p) => ({ baris: p.line, id: p.localId, status: p.status, kesalahan: p.errors.map((e) => `${e.field}: ${e.message.id}`) })),
  });
}

export async function programBantuanRoutes(app: FastifyInstance, deps: AppDeps, auth: preHandlerAsyncHookHandler) {
  const { config } = deps;

  const receive = (kind: 'program' | 'participant') => async (req: Parameters<preHandlerAsyncHookHandler>[0], reply: FastifyReply) => {
    let bytes: Buffer | null = null;
    let desaId: string | null = null;
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname === 'file') bytes = await part.toBuffer();
        else await part.toBuffer();
      } else if (part.fieldname === 'desa_id') desaId = String(part.value ?? '').trim();
    }
    if (!bytes) throw new FileRefusal('FILE_MISSING', { id: 'Berkas ZIP program bantuan (kolom "file") wajib dikirim.', en: 'The ZIP (field "file") is required.' });
    const { rows, shifted } = readProgramBantuanZip(bytes, kind);
    const allowed = villagesOf(req.principal, config);
    const submission: AidSubmission = { channel: 'opendk', apiKeyId: req.principal.keyId, rows: [], refused: [] };
    for (const r of rows) {
      // Each row names its village; the form's desa_id stands in for a row without one.
      const raw = r.row.desa_id || desaId || '';
      const code = regionDigits(raw);
      if (!code || code.length !== 10 || !config.villages.has(code) || (allowed && !allowed.has(code))) {
        submission.refused!.push({ villageCode: code && config.villages.has(code) ? code : null, row: r.row, line: r.line, errors: [outOfScope(raw || '(kosong)')] });
      } else submission.rows.push({ villageCode: code, row: r.row, line: r.line });
    }
    const result = kind === 'program' ? await ingestPrograms(deps.db, submission) : await ingestParticipants(deps.db, submission);
    return answer(reply, kind === 'program' ? 'Program Bantuan' : 'Peserta Program Bantuan', result, shifted);
  };

  app.post('/program-bantuan', {
    preHandler: auth,
    schema: { summary: 'OpenSID Program Bantuan: multipart file = ZIP(CSV desa_id,id,nama,sasaran,ndesc,sdate,edate,[userid,]status,asaldana) + desa_id; upserted on (desa_id, id)', response: { 200: { type: 'object', additionalProperties: true, properties: { status: { type: 'string' }, message: { type: 'string' } } } } },
  }, receive('program'));
  app.post('/program-bantuan/peserta', {
    preHandler: auth,
    schema: { summary: 'OpenSID Program Bantuan participants: multipart file = ZIP(CSV) + desa_id; upserted on (desa_id, id), each linked to a citizen where the hub can', response: { 200: { type: 'object', additionalProperties: true, properties: { status: { type: 'string' }, message: { type: 'string' } } } } },
  }, receive('participant'));
}
