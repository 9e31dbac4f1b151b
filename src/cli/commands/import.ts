import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { loadEnv } from '../../config/env.js';
import { invoke } from '../control/client.js';
import { UsageError } from '../usage.js';
import { AID_IMPORT_KINDS, type AidImportKind } from '../../aid/importFile.js';

/**
 * Imports a village's residents from a CSV or XLSX (villages without a system), or with --kind aid
 * programs or participants (rows may name their village; --village stands in for those that do not). Progress goes to
 * stderr, the summary to stdout; exit 0 when the file was read (bad rows are quarantined, listed with
 * --errors), 1 when the file was refused.
 */
export default async function importCommand(file: string, opts: { village?: string; kind?: 'residents' | AidImportKind; errors?: string }): Promise<number> {
  const kind = opts.kind ?? 'residents';
  if (kind !== 'residents' && !(AID_IMPORT_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind must be residents, ${AID_IMPORT_KINDS.join(' or ')}`);
  if (kind === 'residents' && !opts.village) throw new UsageError('--village is required for a residents import');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  // On a terminal a bar that redraws; elsewhere (a log, CI) a line every 10 s and the last one.
  const bar = new SingleBar({
    format: 'import [{bar}] {value}/{total} rows | {percentage}% | {rate} rows/s | {eta_formatted} left',
    barCompleteChar: '#', barIncompleteChar: '.', barsize: 30,
    stream: process.stderr, noTTYOutput: true, notTTYSchedule: 10_000, hideCursor: true,
  });
  const started = performance.now();
  let shown = false;
  const rate = (done: number) => Math.round(done / Math.max((performance.now() - started) / 1000, 0.001));
  try {
    const result = await invoke(loadEnv(), 'import', {
      kind, village: opts.village, fileName: path.basename(file), contentBase64: bytes.toString('base64'), withProblems: opts.errors !== undefined,
    }, {
      onProgress: (done, total) => {
        if (!shown) { bar.start(total, 0, { rate: 0 }); shown = true; }
        bar.setTotal(total);
        bar.update(done, { rate: rate(done) });
      },
    });
    if (shown) { bar.stop(); shown = false; }
    if ('inboxId' in result) {
      // Aid rows go in one statement (no progress); the counts as the API answers them, problems by line.
      console.log(`${result.kind} #${result.inboxId}: ${result.rows} rows: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ` +
        `${result.quarantined} quarantined${result.linked === undefined ? '' : `, ${result.linked} linked to a citizen, ${result.unlinked} unlinked (listed)`}` +
        `${result.shifted ? `, ${result.shifted} rows read with OpenSID v2410's missing userid column put back` : ''}`);
      if (opts.errors) {
        writeFileSync(opts.errors, result.problemsCsv ?? '');
        console.log(`row problems (${result.problems.length}) written to ${opts.errors}`);
      } else if (result.problems.length) {
        console.log(`${result.problems.length} rows with errors or warnings: tiyuh-hub quarantine list, or --errors FILE.csv`);
      }
      return 0;
    }
    const perSecond = Math.round(result.rows / Math.max(result.seconds, 0.001));
    console.log(`import #${result.importId}: ${result.rows} rows in ${result.seconds.toFixed(2)} s (${perSecond} rows/s): ` +
      `${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ${result.quarantined} quarantined`);
    if (opts.errors) {
      writeFileSync(opts.errors, result.problemsCsv ?? '');
      console.log(`row problems (${result.problemRows}) written to ${opts.errors}`);
    } else if (result.problemRows) {
      console.log(`${result.problemRows} rows with errors or warnings: tiyuh-hub quarantine list --village ${opts.village}, or --errors FILE.csv`);
    }
    return 0;
  } finally {
    if (shown) bar.stop();
  }
}
