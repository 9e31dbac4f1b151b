import { loadEnv } from '../../config/env.js';
import { invoke } from '../control/client.js';
import type { WebhookWithSecret } from '../operations/webhooks.js';
import { UsageError } from '../usage.js';

function printSecret(r: WebhookWithSecret, first: string): void {
  console.log(first);
  console.log('secret (whsec_, base64 after the prefix) for verifying webhook-signature:');
  console.log(r.secret);
}

/** `webhooks set`: the secret alone on the last line (scripts take `tail -1`). */
export async function set(opts: { agency?: string; kecamatan?: string; village?: string; url: string; maxInFlight?: number }): Promise<number> {
  if ((opts.agency === undefined) === (opts.village === undefined)) throw new UsageError('webhooks set: give --agency (optionally with --kecamatan) or --village (tiyuh-hub webhooks set --help)');
  const r = await invoke(loadEnv(), 'webhooks.set', opts);
  const e = r.endpoint;
  const scope = e.kind === 'agency' ? `${e.agency}${e.kecamatanCode ? ` @ ${e.kecamatanCode}` : ''}` : `village ${e.villageCode}`;
  printSecret(r, `endpoint #${e.id} for ${scope} ${r.created ? 'created' : 'updated'}: ${e.url}`);
  return 0;
}

export async function list(): Promise<number> {
  for (const e of await invoke(loadEnv(), 'webhooks.list', {})) {
    const scope = e.kind === 'agency' ? `${e.agency}${e.kecamatanCode ? `@${e.kecamatanCode}` : ''}` : `village:${e.villageCode}`;
    console.log([`#${e.id}`, scope.padEnd(28), e.enabled ? 'on ' : 'off', e.url,
      `pending=${e.items?.pending ?? 0} sending=${e.items?.sending ?? 0} delivered=${e.items?.delivered ?? 0} failed=${e.items?.failed ?? 0}`].join('  '));
  }
  return 0;
}

export async function rotate(id: number, opts: { graceHours: number }): Promise<number> {
  const r = await invoke(loadEnv(), 'webhooks.rotate', { id, graceHours: opts.graceHours });
  printSecret(r, `endpoint #${r.endpoint.id}: new secret; the old one also signs for ${opts.graceHours} h`);
  return 0;
}

export async function redeliverCommand(opts: { agency?: string; endpoint?: number }): Promise<number> {
  const r = await invoke(loadEnv(), 'webhooks.redeliver', { agency: opts.agency, endpointId: opts.endpoint });
  console.log(`${r.requeued} parked item(s) queued for delivery again`);
  return 0;
}
