import { regionDigits } from '../../config/regionCode.js';
import { FileRefusal } from '../../connectors/spreadsheet/refusal.js';
import { importResidentFile } from '../../connectors/spreadsheet/residentImport.js';
import { problemsCsv } from '../../connectors/spreadsheet/residentFile.js';
import type { ImportSummary } from '../../connectors/spreadsheet/residentImport.js';
import { OperationError, pipelineOf, type Operation } from './operation.js';

export interface ImportRequest { village: string; fileName: string; contentBase64: string; withProblems: boolean }
export type ImportAnswer = ImportSummary & { problemsCsv?: string };

/** A village's residents from a CSV or XLSX; a refused file is an error with the refusal's code (exit 1). */
export const importOperation: Operation<ImportRequest, ImportAnswer> = {
  needs: 'pipeline',
  async run(c, input) {
    const villageCode = regionDigits(input.village) ?? '';
    if (!c.config.villages.has(villageCode)) {
      throw new OperationError('VILLAGE_UNKNOWN', { id: `"${input.village}" bukan tiyuh atau kelurahan di 18.12.`, en: `"${input.village}" is not a tiyuh or kelurahan of 18.12.` }, 2);
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
