/**
 * `tiyuh-hub dedup --in FILE --out FILE [--review FILE] [--strict]`: batch identity resolution of
 * an NDJSON or CSV file. Exit codes: 0 done, 1 malformed input under --strict, 2 usage or I/O error.
 */
import { parseArgs } from 'node:util';
import { dedupFile } from '../../pipeline/identity/dedupFile.js';
import { formatEstimate } from '../../pipeline/identity/estimate.js';

const USAGE = 'usage: tiyuh-hub dedup --in FILE --out FILE [--review FILE] [--strict] [--learn] [--explain-params]';

export default async function dedupCommand(argv: string[]): Promise<number> {
  let values: { in?: string; out?: string; review?: string; strict?: boolean; help?: boolean; 'explain-params'?: boolean; learn?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        in: { type: 'string' },
        out: { type: 'string' },
        review: { type: 'string' },
        strict: { type: 'boolean', default: false },
        // Learns m/u from the file first; --explain-params (which implies it) prints them on stdout.
        learn: { type: 'boolean', default: false },
        'explain-params': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`dedup: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.in || !values.out) {
    process.stderr.write(`dedup: --in and --out are required\n${USAGE}\n`);
    return 2;
  }
  const log = (m: string) => process.stderr.write(`dedup: ${m}\n`);
  try {
    const { summary } = await dedupFile({
      inPath: values.in,
      outPath: values.out,
      reviewPath: values.review,
      strict: values.strict,
      learn: values.learn === true || values['explain-params'] === true,
      log,
      ...(values['explain-params'] ? { onEstimate: (e) => process.stdout.write(`${formatEstimate(e)}\n`) } : {}),
    });
    log(
      `summary: ${summary.records} records, ${summary.clusters} clusters, ${summary.possiblePairs} possible pairs, ` +
        `${summary.malformed} malformed lines, ${summary.fieldProblems} fields left out, ${summary.seconds.toFixed(1)} s`,
    );
    return summary.aborted ? 1 : 0;
  } catch (e) {
    log(`failed: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}
