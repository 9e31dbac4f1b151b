import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { regionDigits } from '../../config/regionCode.js';
import { openDatabase } from '../../db/client.js';
import { createKey, type Role } from '../../api/keys.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub keys create (--village <code> | --agency <code> [--kecamatan <code>] | --kecamatan <code> | --admin) [--label <text>]';

/** Creates an API key; the key alone is printed on the last line (so scripts can take `tail -1`). */
export default async function keys(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { village: { type: 'string' }, agency: { type: 'string' }, kecamatan: { type: 'string' }, admin: { type: 'boolean' }, label: { type: 'string' } },
  });
  if (positionals[0] !== 'create') throw new UsageError(USAGE);
  const env = loadEnv();
  const config = loadConfig(env.configDir);
  let role: Role;
  let villageCode: string | undefined;
  let kecamatanCode: string | undefined;
  if (values.kecamatan !== undefined) {
    kecamatanCode = regionDigits(values.kecamatan) ?? '';
    if (!config.kecamatans.has(kecamatanCode)) throw new UsageError(`unknown kecamatan "${values.kecamatan}"`);
  }
  if (values.village !== undefined) {
    villageCode = regionDigits(values.village) ?? '';
    if (!config.villages.has(villageCode)) throw new UsageError(`"${values.village}" is not a tiyuh or kelurahan of 18.12`);
    role = 'village';
  } else if (values.agency !== undefined) {
    if (!config.agencies.has(values.agency)) throw new UsageError(`unknown agency "${values.agency}" (see config/agencies.json)`);
    role = 'agency';
  } else if (values.admin) role = 'admin';
  else if (kecamatanCode) role = 'kecamatan';
  else throw new UsageError(USAGE);

  const database = await openDatabase(env.databaseUrl, env.dataDir, { max: 1 });
  try {
    await database.migrate();
    const key = await createKey(database.db, { role, villageCode, kecamatanCode, agencyCode: values.agency, label: values.label });
    const scope = villageCode ?? (values.agency ? `${values.agency}${kecamatanCode ? ` @ ${kecamatanCode}` : ''}` : kecamatanCode ?? 'all');
    console.log(`${role} key #${key.id} for ${scope} (shown once; only its hash is stored):`);
    console.log(key.secret);
  } finally {
    await database.close();
  }
  return 0;
}
