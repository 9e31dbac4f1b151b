import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { dottedRegion, regionDigits } from '../../config/regionCode.js';
import { openDatabase } from '../../db/client.js';
import { createKey } from '../../api/keys.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub tokens create (--kecamatan <code> | --village <code>) [--label <text>]';

/**
 * Makes an OpenDK token: what a village pastes into OpenSID's "API key OpenDK" with the hub's URL as
 * the OpenDK server. A kecamatan token serves every village of the kecamatan (as OpenDK's does), a
 * village token one village. The token alone is printed on the last line.
 */
export default async function tokens(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { village: { type: 'string' }, kecamatan: { type: 'string' }, label: { type: 'string' } },
  });
  if (positionals[0] !== 'create' || (values.village === undefined) === (values.kecamatan === undefined)) throw new UsageError(USAGE);
  const env = loadEnv();
  const config = loadConfig(env.configDir);
  let villageCode: string | undefined;
  let kecamatanCode: string | undefined;
  if (values.village !== undefined) {
    villageCode = regionDigits(values.village) ?? '';
    if (!config.villages.has(villageCode)) throw new UsageError(`"${values.village}" is not a tiyuh or kelurahan of 18.12`);
  } else {
    kecamatanCode = regionDigits(values.kecamatan!) ?? '';
    if (!config.kecamatans.has(kecamatanCode)) throw new UsageError(`unknown kecamatan "${values.kecamatan}"`);
  }
  const database = await openDatabase(env.databaseUrl, env.dataDir, { max: 1 });
  try {
    await database.migrate();
    const key = await createKey(database.db, { role: 'opendk', villageCode, kecamatanCode, label: values.label });
    const scope = villageCode ? `village ${dottedRegion(villageCode)}` : `every village of kecamatan ${dottedRegion(kecamatanCode!)}`;
    console.log(`OpenDK token #${key.id} for ${scope} (shown once; only its hash is stored).`);
    console.log('In OpenSID: Pengaturan > OpenDK: server = this hub\'s URL, API key = the token below.');
    console.log(key.secret);
  } finally {
    await database.close();
  }
  return 0;
}
