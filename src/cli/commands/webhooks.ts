import { parseArgs } from 'node:util';
import { loadEnv } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { regionDigits } from '../../config/regionCode.js';
import { openDatabase } from '../../db/client.js';
import { listEndpoints, redeliver, rotateSecret, setEndpoint } from '../../delivery/endpoints.js';
import { UsageError } from '../usage.js';

const USAGE = [
  'tiyuh-hub webhooks set (--agency <code> [--kecamatan <code>] | --village <code>) --url <URL> [--max-in-flight N]',
  'tiyuh-hub webhooks list',
  'tiyuh-hub webhooks rotate <endpointId> [--grace-hours N]',
  'tiyuh-hub webhooks redeliver [--agency <code>] [--endpoint <id>]',
].join('\n');

/** Push endpoints from the terminal; `set` and `rotate` print the secret alone on the last line (scripts take `tail -1`). */
export default async function webhooks(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      agency: { type: 'string' }, kecamatan: { type: 'string' }, village: { type: 'string' }, url: { type: 'string' },
      'max-in-flight': { type: 'string' }, 'grace-hours': { type: 'string' }, endpoint: { type: 'string' },
    },
  });
  const [action, arg] = positionals;
  if (!action || !['set', 'list', 'rotate', 'redeliver'].includes(action)) throw new UsageError(USAGE);
  const env = loadEnv();
  const config = loadConfig(env.configDir);
  const actor = `cli:${process.env.USER ?? 'operator'}`;
  const database = await openDatabase(env.databaseUrl, env.dataDir, { max: 1 });
  try {
    await database.migrate();
    const db = database.db;
    if (action === 'set') {
      if (!values.url || !/^https?:\/\/\S+$/.test(values.url)) throw new UsageError(`--url must be an http(s) URL\n${USAGE}`);
      const max = values['max-in-flight'] === undefined ? undefined : Number(values['max-in-flight']);
      if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 256)) throw new UsageError('--max-in-flight must be 1–256');
      let result;
      if (values.agency !== undefined) {
        if (!config.agencies.has(values.agency)) throw new UsageError(`unknown agency "${values.agency}" (see config/agencies.json)`);
        let kecamatan: string | null = null;
        if (values.kecamatan !== undefined) {
          kecamatan = regionDigits(values.kecamatan);
          if (!kecamatan || !config.kecamatans.has(kecamatan)) throw new UsageError(`unknown kecamatan "${values.kecamatan}"`);
        }
        result = await setEndpoint(db, { kind: 'agency', agency: values.agency, kecamatan }, values.url, actor, max);
      } else if (values.village !== undefined) {
        const village = regionDigits(values.village);
        if (!village || !config.villages.has(village)) throw new UsageError(`"${values.village}" is not a tiyuh or kelurahan of 18.12`);
        result = await setEndpoint(db, { kind: 'village', village }, values.url, actor);
      } else throw new UsageError(USAGE);
      const e = result.endpoint;
      const scope = e.kind === 'agency' ? `${e.agency_code}${e.kecamatan_code ? ` @ ${e.kecamatan_code}` : ''}` : `village ${e.village_code}`;
      console.log(`endpoint #${e.id} for ${scope} ${result.created ? 'created' : 'updated'}: ${e.url}`);
      console.log('secret (whsec_, base64 after the prefix) for verifying webhook-signature:');
      console.log(e.secret);
    } else if (action === 'list') {
      for (const e of await listEndpoints(db)) {
        const scope = e.kind === 'agency' ? `${e.agency}${e.kecamatanCode ? `@${e.kecamatanCode}` : ''}` : `village:${e.villageCode}`;
        console.log([`#${e.id}`, scope.padEnd(28), e.enabled ? 'on ' : 'off', e.url,
          `pending=${e.items?.pending ?? 0} sending=${e.items?.sending ?? 0} delivered=${e.items?.delivered ?? 0} failed=${e.items?.failed ?? 0}`].join('  '));
      }
    } else if (action === 'rotate') {
      const id = Number(arg);
      if (!Number.isInteger(id) || id < 1) throw new UsageError(USAGE);
      const grace = values['grace-hours'] === undefined ? 24 : Number(values['grace-hours']);
      if (!(grace >= 0 && grace <= 168)) throw new UsageError('--grace-hours must be 0–168');
      const e = await rotateSecret(db, id, grace, actor).catch((err: Error) => { throw new UsageError(`endpoint #${id}: ${err.message}`); });
      console.log(`endpoint #${e.id}: new secret; the old one also signs for ${grace} h`);
      console.log(e.secret);
    } else {
      const endpointId = values.endpoint === undefined ? undefined : Number(values.endpoint);
      const r = await redeliver(db, { agency: values.agency, endpointId }, actor);
      console.log(`${r.requeued} parked item(s) queued for delivery again`);
    }
  } finally {
    await database.close();
  }
  return 0;
}
