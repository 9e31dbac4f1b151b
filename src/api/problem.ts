import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { RecordError } from '../pipeline/validate/recordError.js';
import { shapeErrors } from '../pipeline/validate/registration.js';
import { isDatabaseUnavailable } from '../db/errors.js';

/** Seconds a client waits before retrying while Postgres is away (a restart takes a few). */
export const DATABASE_RETRY_AFTER = 5;

export const databaseUnavailable = () => new HubError(503, 'DATABASE_UNAVAILABLE',
  { id: 'Basis data sedang tidak dapat dihubungi; data yang sudah diterima tetap aman. Kirim ulang sebentar lagi (dengan Idempotency-Key yang sama).',
    en: 'The database cannot be reached right now; data already accepted is safe. Retry shortly (with the same Idempotency-Key).' },
  undefined, undefined, { 'Retry-After': String(DATABASE_RETRY_AFTER) });

/** An HTTP error with a stable code, answered as application/problem+json (RFC 9457). */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly text: { id: string; en: string },
    readonly field?: string,
    readonly errors?: RecordError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(text.en);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

export function sendProblem(reply: FastifyReply, e: HubError, instance?: string): FastifyReply {
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return reply.code(e.status).type('application/problem+json').send({
    type: `urn:tiyuh-hub:problem:${e.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[e.status] ?? 'Error',
    status: e.status,
    code: e.code,
    ...(e.field ? { field: e.field } : {}),
    message: e.text,
    ...(e.errors?.length ? { errors: e.errors } : {}),
    ...(instance ? { instance } : {}),
  });
}

/** Maps fastify's own errors (parsing, limits, schema) onto the hub's codes. */
export function toHubError(err: FastifyError): HubError {
  if (err instanceof HubError) return err;
  if (isDatabaseUnavailable(err)) return databaseUnavailable();
  if (err.validation) {
    const errors = shapeErrors(err.validation as never, err.validationContext === 'body' ? '' : err.validationContext);
    const first = errors[0];
    return new HubError(400, first?.code ?? 'REQUEST_INVALID', first?.message ?? { id: 'Permintaan tidak sah.', en: 'Invalid request.' }, first?.field, errors);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HubError(413, 'BODY_TOO_LARGE', { id: 'Ukuran kiriman melebihi batas.', en: 'The request body is larger than allowed.' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HubError(415, 'MEDIA_TYPE_UNSUPPORTED', { id: 'Jenis konten tidak didukung; kirim application/json.', en: 'Unsupported content type; send application/json.' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HubError(400, 'BODY_EMPTY', { id: 'Isi kiriman kosong.', en: 'The request body is empty.' });
  }
  if (err.statusCode === 400 && (err instanceof SyntaxError || /JSON/i.test(err.message))) {
    return new HubError(400, 'BODY_INVALID_JSON', { id: 'Isi kiriman bukan JSON yang sah.', en: 'The request body is not valid JSON.' });
  }
  if (err.statusCode && err.statusCode < 500) {
    return new HubError(err.statusCode, 'REQUEST_INVALID', { id: 'Permintaan tidak sah.', en: err.message });
  }
  return new HubError(500, 'INTERNAL', { id: 'Terjadi kesalahan pada server; data yang sudah diterima tetap aman.', en: 'Internal error; data already accepted is safe.' });
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toHubError(err);
  if (e.status === 503) req.log.warn({ code: e.code, err }, 'request refused: service unavailable');
  else if (e.status >= 500) req.log.error({ err }, 'request failed');
  return sendProblem(reply, e);
}

/** What was not found, named in each language: `notFound({ id: 'Pendaftaran', en: 'Registration' })`. */
export const notFound = (what: { id: string; en: string }, field?: string) =>
  new HubError(404, 'NOT_FOUND', { id: `${what.id} tidak ditemukan.`, en: `${what.en} not found.` }, field);

export const idempotencyKeyReused = () => new HubError(422, 'IDEMPOTENCY_KEY_REUSED', {
  id: 'Idempotency-Key ini sudah dipakai untuk kiriman dengan isi berbeda; gunakan kunci baru untuk kiriman baru.',
  en: 'This Idempotency-Key was already used with a different body; use a new key for a new request.',
}, 'Idempotency-Key');
