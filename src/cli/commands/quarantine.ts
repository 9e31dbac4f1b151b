import { readFileSync } from 'node:fs';
import { loadEnv } from '../../config/env.js';
import { invoke } from '../control/client.js';
import type { QuarantineLine } from '../operations/quarantine.js';
import { UsageError } from '../usage.js';

function table(items: QuarantineLine[]): string {
  const head = ['ID', 'KIND', 'VILLAGE', 'EXTERNAL ID', 'NIK', 'NAME', 'STATUS', 'CREATED', 'ERRORS'];
  const body = items.map((q) => [
    String(q.id), q.kind, q.villageCode ?? '-', q.externalId ?? '-', q.nik ?? '-', q.name ?? '-', q.status,
    q.createdAt.slice(0, 19).replace('T', ' '), q.errors.map((e) => `${e.code}(${e.field})`).join(' '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/**
 * The operator's view of quarantine (every village). A terminal listing carries no personal data (UU
 * PDP): NIKs are masked and names cut to initials; the records themselves are read through the API,
 * where reads are scoped and audited.
 */
export async function list(opts: { village?: string; kind?: string; status: string; limit: number; offset: number; json?: boolean }): Promise<number> {
  const { total, items } = await invoke(loadEnv(), 'quarantine.list', {
    village: opts.village, kind: opts.kind, status: opts.status, limit: Math.min(opts.limit, 10_000), offset: opts.offset,
  });
  if (opts.json) for (const it of items) console.log(JSON.stringify(it));
  else if (items.length) console.log(table(items));
  console.error(`${items.length} of ${total} quarantined records (${opts.status})`);
  return 0;
}

/** Sends records, corrected or as stored, through intake again and prints each outcome. */
export async function replay(ids: number[], opts: { payload?: string }): Promise<number> {
  if (opts.payload && ids.length !== 1) throw new UsageError('quarantine replay: --payload corrects one record: give exactly one id');
  let payload: unknown;
  if (opts.payload) {
    try {
      payload = JSON.parse(readFileSync(opts.payload, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read ${opts.payload}: ${(err as Error).message}`);
    }
  }
  const answers = await invoke(loadEnv(), 'quarantine.replay', { items: ids.map((id) => (payload === undefined ? { id } : { id, payload })) });
  for (const a of answers) console.log(JSON.stringify({ ...a, errors: a.errors?.map((e) => ({ code: e.code, field: e.field, message: e.message })) }));
  return answers.every((a) => a.status === 'accepted') ? 0 : 1;
}
