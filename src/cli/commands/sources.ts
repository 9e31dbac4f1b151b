import { loadEnv } from '../../config/env.js';
import type { SourceStatus } from '../../api/sources.js';
import { invoke } from '../control/client.js';

function lag(s: number | null): string {
  if (s == null) return 'never';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return s < 172_800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86_400)}d`;
}

export function sourcesTable(list: SourceStatus[]): string {
  const head = ['SOURCE', 'NAME', 'VILLAGE', 'CONNECTOR', 'LAST SUCCESS', 'LAG', 'RECORDS', 'STATE', 'WARNING', 'LAST ERROR'];
  const body = list.map((s) => [
    s.id, s.name ?? '-', s.villageCode ?? s.kecamatanCode ?? '-', s.connector, s.lastSuccessAt?.slice(0, 19).replace('T', ' ') ?? '-', lag(s.lagSeconds),
    String(s.records), !s.enabled ? 'disabled' : s.running ? 'running' : s.circuit === 'open' ? 'paused' : 'idle', s.warning?.code ?? '-', (s.lastError ?? '').slice(0, 80),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const table = [head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  // A run that "succeeded" with zero or missing rows needs a person's eye: its words under the table.
  const warned = list.filter((s) => s.warning).map((s) => `${s.id}: ${s.warning!.code} (run #${s.warning!.runId}): ${s.warning!.message.id}`);
  return [...table, ...(warned.length ? ['', ...warned] : [])].join('\n');
}

/** `tiyuh-hub sources [--json]`: which tiyuh is behind and why, as GET /v1/sources answers it. */
export async function list(opts: { json?: boolean }): Promise<number> {
  const all = await invoke(loadEnv(), 'sources.list', {});
  console.log(opts.json ? JSON.stringify(all, null, 2) : all.length ? sourcesTable(all) : 'No sources: add them to config/sources.json (see config/sources.example.json).');
  return 0;
}

/** `tiyuh-hub sources check <id>`: can the hub reach the source's server and log in (exit 1 when not). */
export async function check(id: string, opts: { json?: boolean }): Promise<number> {
  const r = await invoke(loadEnv(), 'sources.check', { id });
  if (r.status === 'unknown') { console.error(`unknown source "${id}"`); return 1; }
  if (r.status === 'not-pull') { console.error(`source "${id}" is not a pull connector: there is no server to check`); return 1; }
  if (opts.json) console.log(JSON.stringify(r.ok ? { ok: true, detail: r.detail } : { ok: false, code: r.code, detail: r.detail }));
  else if (r.ok) console.log(`${id}: ok, ${r.detail}`);
  else console.error(`${id}: ${r.code}: ${r.detail}`);
  return r.ok ? 0 : 1;
}
