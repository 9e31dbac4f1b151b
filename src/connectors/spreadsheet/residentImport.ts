import { sql } from 'drizzle-orm';
import { rows } from '../../db/client.js';
import type { PipelineContext } from '../../pipeline/context.js';
import { dottedRegion, regionDigits } from '../../config/regionCode.js';
import { refuse } from './refusal.js';
import { residentRows } from './residentColumns.js';
import { ingestRows, readSheet, type FileIngestResult, type RowOutcome } from './residentFile.js';

export interface ImportSummary {
  importId: number;
  villageCode: string;
  fileName: string | null;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** Rows with errors or warnings. */
  problemRows: number;
  seconds: number;
}

/**
 * A spreadsheet of one village (villages without a system): CSV or XLSX, columns recognised by name.
 * Rows go through ingestResidents in chunks; the summary and each problem row (numbered as in the file)
 * are kept on the import's first inbox row, which is the import's id.
 */
export async function importResidentFile(
  ctx: PipelineContext, bytes: Uint8Array,
  opts: { villageCode: string; apiKeyId?: number; fileName?: string; onProgress?: (done: number, total: number) => void },
): Promise<ImportSummary & { problems: RowOutcome[] }> {
  const started = performance.now();
  const sheet = readSheet(bytes);
  const { inputs, rowNumbers } = residentRows(sheet, { required: ['fullName'], defaultVillage: opts.villageCode, nikAsLocalId: true });
  // A file is one village's; a row naming another would be quarantined under that village, where its staff would see it.
  inputs.forEach((input, i) => {
    const raw = String(input.villageCode ?? '').trim();
    if (regionDigits(raw) !== opts.villageCode) {
      throw refuse('VILLAGE_OUT_OF_SCOPE', `Baris ke-${rowNumbers[i]} berisi kode desa ${raw}, bukan desa impor ini (${dottedRegion(opts.villageCode)}).`,
        `Row ${rowNumbers[i]} names village ${raw}, not this import's village (${dottedRegion(opts.villageCode)}).`);
    }
    input.villageCode = opts.villageCode;
  });
  const result: FileIngestResult = await ingestRows(ctx, inputs, rowNumbers,
    { channel: 'import', allowedVillages: new Set([opts.villageCode]), apiKeyId: opts.apiKeyId }, opts.onProgress);
  const summary: ImportSummary = {
    importId: result.inboxId, villageCode: opts.villageCode, fileName: opts.fileName ?? null, rows: result.rows,
    created: result.created, updated: result.updated, unchanged: result.unchanged, quarantined: result.quarantined,
    problemRows: result.problems.length, seconds: Math.round(performance.now() - started) / 1000,
  };
  await ctx.db.execute(sql`update inbox set response = coalesce(response, '{}'::jsonb)
      || jsonb_build_object('import', ${JSON.stringify({ ...summary, inboxIds: result.inboxIds, problems: result.problems })}::jsonb)
    where id = ${result.inboxId}`);
  return { ...summary, problems: result.problems };
}

/** An import's summary and problem rows, or null when there is no such import. */
export async function findImport(ctx: PipelineContext, importId: number): Promise<(ImportSummary & { problems: RowOutcome[] }) | null> {
  const [row] = await rows<{ imp: (ImportSummary & { problems: RowOutcome[] }) | null }>(ctx.db, sql`
    select response->'import' as imp from inbox where id = ${importId} and channel = 'import'`);
  return row?.imp ?? null;
}
