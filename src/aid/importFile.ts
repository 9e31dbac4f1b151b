/**
 * Aid programs or participants from a spreadsheet (CSV or XLSX, OpenSID's column names or the native
 * API's): the same rows, checks and intake as OpenSID's upload and POST /v1/aid-*, channel 'import'.
 * A row may name its village (desa_id / villageCode); one without uses the import's village.
 */
import type { Db } from '../db/client.js';
import type { HubConfig } from '../config/load.js';
import { regionDigits } from '../config/regionCode.js';
import type { RecordError } from '../pipeline/validate/recordError.js';
import { readSheet } from '../connectors/spreadsheet/residentFile.js';
import { aidRowsOfSheet } from '../connectors/opendk/programBantuanZip.js';
import { ingestParticipants, ingestPrograms, type AidResult, type AidSubmission } from './intake.js';

export const AID_IMPORT_KINDS = ['aid-programs', 'aid-participants'] as const;
export type AidImportKind = (typeof AID_IMPORT_KINDS)[number];

export interface AidImportResult extends AidResult {
  kind: AidImportKind;
  fileName: string | null;
  /** Program rows read with OpenSID v2410's missing `userid` column put back. */
  shifted: number;
}

export async function importAidFile(db: Db, config: Pick<HubConfig, 'villages'>, bytes: Uint8Array, opts: {
  kind: AidImportKind;
  /** The villages the importer may write (null: any of the kabupaten's). */
  allowed: ReadonlySet<string> | null;
  /** For rows that name no village. */
  defaultVillage: string | null;
  apiKeyId?: number | null;
  fileName?: string | null;
}): Promise<AidImportResult> {
  const kind = opts.kind === 'aid-programs' ? 'program' : 'participant';
  const { rows, shifted } = aidRowsOfSheet(readSheet(bytes), kind, { villageColumn: false });
  const submission: AidSubmission = { channel: 'import', apiKeyId: opts.apiKeyId ?? null, rows: [], refused: [] };
  for (const r of rows) {
    const raw = r.row.desa_id || opts.defaultVillage || '';
    const code = regionDigits(raw);
    if (!code || code.length !== 10 || !config.villages.has(code) || (opts.allowed && !opts.allowed.has(code))) {
      const e: RecordError = raw
        ? { field: 'desa_id', code: 'VILLAGE_OUT_OF_SCOPE', message: { id: `Kode desa ${raw} tidak dikenal atau di luar wilayah Anda.`, en: `Village ${raw} is unknown or outside your scope.` } }
        : { field: 'desa_id', code: 'FIELD_REQUIRED', message: { id: 'Kode desa (desa_id) wajib diisi: pada baris ini atau sebagai desa impor.', en: 'The village (desa_id) is required: in the row or as the import\'s village.' } };
      submission.refused!.push({ villageCode: code && config.villages.has(code) ? code : null, row: r.row, line: r.line, errors: [e] });
    } else submission.rows.push({ villageCode: code, row: r.row, line: r.line });
  }
  const result = kind === 'program' ? await ingestPrograms(db, submission) : await ingestParticipants(db, submission);
  return { ...result, kind: opts.kind, fileName: opts.fileName ?? null, shifted };
}
