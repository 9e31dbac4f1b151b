import pino, { type Logger, type DestinationStream } from 'pino';
import { safeError } from './safeError.js';

/**
 * Personal data (UU PDP 27/2022) must never reach logs. Code should not log it in the first place;
 * these paths are the safety net for objects that slip through.
 */
const PERSONAL = ['nik', 'kk', 'fullName', 'name', 'nama', 'birthDate', 'birthPlace', 'motherName', 'address',
  'phone', 'applicant', 'nomor_nik', 'nomor_kk', 'tanggal_lahir', 'nama_ibu', 'payload', 'body'];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  ...PERSONAL,
  ...PERSONAL.map((p) => `*.${p}`),
  ...PERSONAL.map((p) => `*.*.${p}`),
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'tiyuh-hub' },
      // Errors carry query parameters and quoted values: every `err` goes through the one serializer.
      serializers: { err: safeError, error: safeError },
    },
    destination,
  );
}

export type { Logger };
