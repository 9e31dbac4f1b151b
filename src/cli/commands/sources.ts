import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { createLogger } from '../../runtime/logger.js';
import { startHub } from '../../runtime/hub.js';
import { sourceStatuses, type SourceStatus } from '../../overview/sources.js';
import { checkSource } from '../../connectors/sync/check.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub sources [--json] | sources check <sourceId>';

function lag(s: number | null): string {
  if (s == null) return 'never';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return s < 172_800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86_400)}d`;
}

export function sourcesTable(list: SourceStatus[]): string {
  const head = ['SOURCE', 'VILLAGE', 'CONNECTOR', 'LAST SUCCESS', 'LAG', 'RECORDS', 'STATE', 'LAST ERROR'];
  const body = list.map((s) => [
    s.id, s.villageCode ?? s.kecamatanCode ?? '-', s.connector, s.lastSuccessAt?.slice(0, 19).replace('T', ' ') ?? '-', lag(s.lagSeconds),
    String(s.records), !s.enabled ? 'disabled' : s.running ? 'running' : s.circuit === 'open' ? 'paused' : 'idle', (s.lastError ?? '').slice(0, 80),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/**
 * `tiyuh-hub sources [--json]`: which tiyuh is behind and why, as GET /v1/sources answers it.
 * `tiyuh-hub sources check <id>`: can the hub reach the source's server and log in (exit 1 when not).
 */
export default async function sources(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  const [action, id, ...rest] = positionals;
  if (action !== undefined && (action !== 'check' || !id || rest.length)) throw new UsageError(USAGE);
  const env = loadEnv();
  const hub = await startHub(env, createLogger(env.logLevel === 'info' ? 'warn' : env.logLevel), { api: false, workers: false });
  try {
    if (action === 'check') {
      const r = await checkSource(hub.ctx, id!, `cli:${process.env.USER ?? 'operator'}`);
      if (r.status === 'unknown') { console.error(`unknown source "${id}"`); return 1; }
      if (r.status === 'not-pull') { console.error(`source "${id}" is not a pull connector: there is no server to check`); return 1; }
      if (values.json) console.log(JSON.stringify(r.ok ? { ok: true, detail: r.detail } : { ok: false, code: r.code, detail: r.detail }));
      else if (r.ok) console.log(`${id}: ok, ${r.detail}`);
      else console.error(`${id}: ${r.code}: ${r.detail}`);
      return r.ok ? 0 : 1;
    }
    const list = await sourceStatuses(hub.ctx);
    console.log(values.json ? JSON.stringify(list, null, 2) : list.length ? sourcesTable(list) : 'No sources: add them to config/sources.json (see config/sources.example.json).');
    return 0;
  } finally {
    await hub.close();
  }
}
