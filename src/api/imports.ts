import type { FastifyError, FastifyPluginAsync } from 'fastify';
import multipart from '@fastify/multipart';
import type { AppDeps } from './app.js';
import { requireKey } from './auth.js';
import { errorHandler, HubError, notFound } from './problem.js';
import { requestedVillage, villageScope } from './residents.js';
import { FileRefusal } from '../connectors/spreadsheet/refusal.js';
import { findImport, importResidentFile } from '../connectors/spreadsheet/residentImport.js';
import { problemsCsv } from '../connectors/spreadsheet/residentFile.js';
import { AID_IMPORT_KINDS, importAidFile, type AidImportKind } from '../aid/importFile.js';

/** Spreadsheets of villages without a system are small; 20 MB holds far more than a village's population. */
const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

function fileError(err: FastifyError | FileRefusal): HubError | FastifyError {
  if (err instanceof FileRefusal) return new HubError(err.status, err.code, err.text, err.field);
  if (err.code === 'FST_REQ_FILE_TOO_LARGE' || err.code === 'FST_FILES_LIMIT' || err.code === 'FST_PARTS_LIMIT') {
    return new HubError(413, 'FILE_TOO_LARGE', { id: 'Unggah satu berkas CSV/XLSX saja, paling besar 20 MB.', en: 'Upload one CSV/XLSX file of at most 20 MB.' }, 'file');
  }
  if (err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return new HubError(415, 'MEDIA_TYPE_UNSUPPORTED', { id: 'Kirim berkas sebagai multipart/form-data pada kolom "file".', en: 'Send the file as multipart/form-data in field "file".' }, 'file');
  }
  return err;
}

export const importRoutes: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  const { config, ctx } = deps;
  await app.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 12 } });
  app.setErrorHandler((err: FastifyError, req, reply) => errorHandler(fileError(err) as FastifyError, req, reply));
  const villageKey = requireKey(deps.keys, deps.limiter, ['village', 'kecamatan']);

  app.post<{ Querystring: { village?: string; kind?: 'residents' | AidImportKind } }>('/v1/imports', {
    preHandler: villageKey,
    schema: {
      summary: 'Import from a spreadsheet (multipart file = CSV: UTF-8 or Windows-1252, ; or , separated; or XLSX): a village\'s residents (kind=residents, the default), or aid programs / participants (kind=aid-programs, aid-participants) as OpenSID sends them to OpenDK',
      description: 'Columns by OpenSID name or the native API\'s camelCase names. Residents: one village\'s file, answered 202 with counts and an errors CSV. Aid: rows may name their village (desa_id / villageCode; `village` or the village key\'s own stands in for a row without), upserted on (village, id) so a resend changes nothing, bad rows quarantined with codes; answered 200 as POST /v1/aid-programs and /v1/aid-participants answer.',
      response: { 200: { type: 'object', additionalProperties: true, description: 'Aid: the counts and each problem row' }, 202: { type: 'object', additionalProperties: true, description: 'Residents: the import\'s counts and its first problems' } },
      querystring: { type: 'object', properties: {
        village: { type: 'string', maxLength: 13, description: 'Required for a kecamatan key importing residents' },
        kind: { type: 'string', enum: ['residents', ...AID_IMPORT_KINDS], default: 'residents' },
      } },
    },
  }, async (req, reply) => {
    const p = req.principal;
    const kind = req.query.kind ?? 'residents';
    // Checked before the file is read: a village outside the key's scope is refused whatever the file holds.
    const village = kind === 'residents' || req.query.village ? requestedVillage(p, config, req.query.village) : null;
    const file = await req.file();
    if (!file || file.fieldname !== 'file') {
      throw new HubError(400, 'FILE_MISSING', { id: 'Berkas (kolom "file") wajib dikirim.', en: 'The file (field "file") is required.' }, 'file');
    }
    const bytes = await file.toBuffer();
    if (kind !== 'residents') {
      const result = await importAidFile(deps.db, config, bytes, { kind, allowed: villageScope(p, config), defaultVillage: village ?? p.villageCode ?? null, apiKeyId: p.keyId, fileName: file.filename });
      return reply.code(200).send(result);
    }
    const { problems, ...summary } = await importResidentFile(ctx, bytes, { villageCode: village!, apiKeyId: p.keyId, fileName: file.filename });
    return reply.code(202).send({
      ...summary,
      errorsCsv: `/v1/imports/${summary.importId}/errors.csv`,
      problems: problems.slice(0, 100),
    });
  });

  const owned = async (p: Parameters<typeof villageScope>[0], id: number) => {
    const imp = await findImport(ctx, id);
    const scope = villageScope(p, config);
    if (!imp || (scope && !scope.has(imp.villageCode))) throw notFound({ id: 'Impor', en: 'Import' }, 'id');
    return imp;
  };
  const params = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } } as const;

  app.get<{ Params: { id: number } }>('/v1/imports/:id', {
    preHandler: villageKey, schema: { summary: 'An import\'s counts', response: { 200: { type: 'object', additionalProperties: true } }, params },
  }, async (req) => {
    const { problems: _problems, ...summary } = await owned(req.principal, req.params.id);
    return summary;
  });

  app.get<{ Params: { id: number } }>('/v1/imports/:id/errors.csv', {
    preHandler: villageKey, schema: { summary: 'The rows of an import with errors or warnings, numbered as in the file (CSV, UTF-8 with BOM for Excel)', response: { 200: { type: 'string', description: 'text/csv' } }, params },
  }, async (req, reply) => {
    const imp = await owned(req.principal, req.params.id);
    return reply.type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="impor-${imp.importId}-kesalahan.csv"`)
      .send(problemsCsv(imp.problems));
  });
};
