/**
 * `tiyuh-hub dedup --in FILE --out FILE [--review FILE] [--strict]`: batch identity resolution of
 * an NDJSON or CSV file. Exit codes: 0 done; 1 a malformed line under --strict (nothing written);
 * 2 I/O error; 3 done, but malformed lines were left out (each reported with its line and reason).
 */
import { dedupFile } from '../../pipeline/identity/dedupFile.js';
import { formatEstimate } from '../../pipeline/identity/estimate.js';

export default async function dedupCommand(opts: { in: string; out: string; review?: string; strict?: boolean; explainParams?: boolean; learn?: boolean }): Promise<number> {
  const log = (m: string) => process.stderr.write(`dedup: ${m}\n`);
  try {
    const { summary } = await dedupFile({
      inPath: opts.in, outPath: opts.out, reviewPath: opts.review, strict: opts.strict ?? false, log,
      // Learns m/u from the file first; --explain-params implies it.
      learn: opts.learn === true || opts.explainParams === true,
      // Prints the m/u values learned from the file (stdout) before resolving.
      ...(opts.explainParams ? { onEstimate: (e) => process.stdout.write(`${formatEstimate(e)}\n`) } : {}),
    });
    log(
      `summary: ${summary.records} records, ${summary.clusters} clusters, ${summary.possiblePairs} possible pairs, ` +
        `${summary.malformed} malformed lines, ${summary.fieldProblems} fields left out, ${summary.seconds.toFixed(1)} s`,
    );
    if (summary.aborted) return 1;
    if (summary.malformed > 0) {
      log(`${summary.malformed} malformed lines were left out (see above); exit 3`);
      return 3;
    }
    return 0;
  } catch (e) {
    log(`failed: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}
