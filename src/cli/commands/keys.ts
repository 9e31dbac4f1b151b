import { loadEnv } from '../../config/env.js';
import { invoke } from '../control/client.js';
import { UsageError } from '../usage.js';

/** Creates an API key; the key alone is printed on the last line (so scripts can take `tail -1`). */
export async function createKeyCommand(opts: { village?: string; agency?: string; kecamatan?: string; admin?: boolean; label?: string }): Promise<number> {
  const role = opts.village !== undefined ? 'village' : opts.agency !== undefined ? 'agency' : opts.admin ? 'admin' : opts.kecamatan !== undefined ? 'kecamatan' : null;
  if (!role) throw new UsageError('keys create: give one of --village, --kecamatan, --agency or --admin (tiyuh-hub keys create --help)');
  const key = await invoke(loadEnv(), 'keys.create', { role, village: opts.village, kecamatan: opts.kecamatan, agency: opts.agency, label: opts.label });
  console.log(`${role} key #${key.id} for ${key.scope} (shown once; only its hash is stored):`);
  console.log(key.secret);
  return 0;
}

/**
 * Makes an OpenDK token: what a village pastes into OpenSID's "API key OpenDK" with the hub's URL as
 * the OpenDK server. A kecamatan token serves every village of the kecamatan (as OpenDK's does), a
 * village token one village. The token alone is printed on the last line.
 */
export async function createTokenCommand(opts: { village?: string; kecamatan?: string; label?: string }): Promise<number> {
  if ((opts.village === undefined) === (opts.kecamatan === undefined)) {
    throw new UsageError('tokens create: give --kecamatan or --village (tiyuh-hub tokens create --help)');
  }
  const key = await invoke(loadEnv(), 'keys.create', { role: 'opendk', village: opts.village, kecamatan: opts.kecamatan, label: opts.label });
  console.log(`OpenDK token #${key.id} for ${key.scope} (shown once; only its hash is stored).`);
  console.log('In OpenSID: Pengaturan > OpenDK: server = this hub\'s URL, API key = the token below.');
  console.log(key.secret);
  return 0;
}
