import { regionDigits } from '../../config/regionCode.js';
import { FileRefusal } from '../../connectors/spreadsheet/refusal.js';
import { importResidentFile } from '../../connectors/spreadsheet/residentImport.js';
import { problemsCsv } from '../../connectors/spreadsheet/residentFile.js';
import type { ImportSummary } from '../../connectors/spreadsheet/residentImport.js';
import { AID_IMPORT_KINDS, importAidFile, type AidImportKind, type AidImportResult } from '../../aid/importFile.js';
import { OperationError, pipelineOf, type Operation } from './operation.js';

export { AID_IMPORT_KINDS };

export interface ImportRequest {
  /** Residents (the default) or aid programs / participants. */
  kind?: 'residents' | AidImportKind;
  /** The file's village; for aid, only rows that name none (optional). */
  village?: string;
  fileName: string; contentBase64: string; withProblems: boolean;
}
export type ImportAnswer = (ImportSummary & { kind?: 'residents'; problemsCsv?: string }) | (AidImportResult & { problemsCsv?: string });

/** Aid problems as the resident import writes them: one line per row, numbered as in the file (no personal data). */
function aidProblemsCsv(r: AidImportResult): string {
  const lines = ['baris;id;status;kode;kolom;pesan'];
  const cell = (v: string) => (/[;"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  for (const p of r.problems) for (const e of p.errors) lines.push([String(p.line), p.localId ?? '', p.status, e.code, e.field, e.message.id].map(cell).join(';'));
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

/** A village's residents, or aid programs or participants, from a CSV or XLSX; a refused file is an error with the refusal's code (exit 1). */
export const importOperation: Operation<ImportRequest, ImportAnswer> = {
  needs: 'pipeline',
  async run(c, input) {
    const villageCode = input.village === undefined ? null : regionDigits(input.village) ?? '';
    if (villageCode !== null && !c.config.villages.has(villageCode)) {
      throw new OperationError('VILLAGE_UNKNOWN', { id: `"${input.village}" bukan tiyuh atau kelurahan di 18.12.`, en: `"${input.village}" is not a tiyuh or kelurahan of 18.12.` }, 2);
    }
    const kind = input.kind ?? 'residents';
    if (kind !== 'residents') {
      try {
        // The operator's CLI writes for any village of the kabupaten, as the admin key does.
        const r = await importAidFile(c.db, c.config, Buffer.from(input.contentBase64, 'base64'), { kind, allowed: null, defaultVillage: villageCode, fileName: input.fileName });
        return input.withProblems ? { ...r, problemsCsv: aidProblemsCsv(r) } : r;
      } catch (err) {
        if (err instanceof FileRefusal) throw new OperationError(err.code, err.text, 1);
        throw err;
      }
    }
    if (villageCode === null) {
      throw new OperationError('FIELD_REQUIRED', { id: 'Impor penduduk perlu --village.', en: 'A residents import needs --village.' }, 2);
    }
    try {
      const { problems, ...summary } = await importResidentFile(pipelineOf(c), Buffer.from(input.contentBase64, 'base64'), {
        villageCode, fileName: input.fileName, onProgress: (done, total) => c.progress(done, total),
      });
      return input.withProblems ? { ...summary, problemsCsv: problemsCsv(problems) } : summary;
    } catch (err) {
      if (err instanceof FileRefusal) throw new OperationError(err.code, err.text, 1);
      throw err;
    }
  },
};
