import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { regionDigits } from '../../config/regionCode.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { FileRefusal } from '../../connectors/spreadsheet/refusal.js';
import { importResidentFile } from '../../connectors/spreadsheet/residentImport.js';
import { problemsCsv } from '../../connectors/spreadsheet/residentFile.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub import FILE --village <code> [--errors FILE.csv]';

function progressBar(done: number, total: number, started: number): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  const seconds = (performance.now() - started) / 1000;
  const rate = seconds > 0 ? Math.round(done / seconds) : 0;
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} rows  ${rate} rows/s`;
}

/**
 * Imports a village's residents from a CSV or XLSX (villages without a system). Progress goes to
 * stderr, the summary to stdout; exit 0 when the file was read (bad rows are quarantined, listed with
 * --errors), 1 when the file was refused.
 */
export default async function importCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { village: { type: 'string' }, errors: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1 || !values.village) throw new UsageError(USAGE);
  const env = loadEnv();
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const hub = await startHub(env, createLogger(env.logLevel === 'info' ? 'warn' : env.logLevel), { api: false, workers: false });
  try {
    const villageCode = regionDigits(values.village) ?? '';
    if (!hub.config.villages.has(villageCode)) throw new UsageError(`"${values.village}" is not a tiyuh or kelurahan of 18.12`);
    const started = performance.now();
    const tty = process.stderr.isTTY;
    const result = await importResidentFile(hub.ctx, bytes, {
      villageCode, fileName: path.basename(file),
      onProgress: (done, total) => {
        if (tty || done === total) process.stderr.write(progressBar(done, total, started) + (done === total ? '\n' : ''));
      },
    });
    const rate = Math.round(result.rows / Math.max(result.seconds, 0.001));
    console.log(`import #${result.importId}: ${result.rows} rows in ${result.seconds.toFixed(2)} s (${rate} rows/s): ` +
      `${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ${result.quarantined} quarantined`);
    if (values.errors) {
      writeFileSync(values.errors, problemsCsv(result.problems));
      console.log(`row problems (${result.problemRows}) written to ${values.errors}`);
    } else if (result.problemRows) {
      console.log(`${result.problemRows} rows with errors or warnings: tiyuh-hub quarantine list --village ${values.village}, or --errors FILE.csv`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof FileRefusal)) throw err;
    console.error(`file refused (${err.code}): ${err.text.en}\n${err.text.id}`);
    return 1;
  } finally {
    await hub.close();
  }
}
