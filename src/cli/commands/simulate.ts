import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { startSimulator } from '../../simulator/server.js';
import { DEMO_TIYUH, demoSources } from '../../simulator/demoSources.js';
import { UsageError } from '../usage.js';

const USAGE = 'tiyuh-hub simulate [--port N] [--residents N] [--villages all|demo|<code,...>] [--invalid-every N] [--latency MS] [--rate-limit N] [--warm] [--sources-out FILE]';

/** Serves Gabungan- and OpenSID-API-shaped endpoints over a generated population until stopped. */
export default async function simulate(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4010' }, residents: { type: 'string', default: '5000' }, villages: { type: 'string', default: 'demo' },
      'invalid-every': { type: 'string', default: '200' }, latency: { type: 'string', default: '0' }, 'sources-out': { type: 'string' },
      warm: { type: 'boolean', default: false }, 'rate-limit': { type: 'string', default: '60' },
    },
  });
  const num = (s: string, name: string) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number\n${USAGE}`);
    return n;
  };
  const villages = values.villages === 'all' ? undefined : values.villages === 'demo' ? DEMO_TIYUH : values.villages.split(',').map((v) => v.replace(/\./g, ''));
  const sim = await startSimulator({
    port: num(values.port, 'port'), residents: num(values.residents, 'residents'), villages,
    invalidEvery: num(values['invalid-every'], 'invalid-every'), latencyMs: num(values.latency, 'latency'), warm: values.warm,
    // The servers' throttle:api, requests per minute per user; 0 turns it off (benchmarks).
    rateLimit: num(values['rate-limit'], 'rate-limit') === 0 ? false : { requests: num(values['rate-limit'], 'rate-limit'), windowMs: 60_000 },
  });
  if (values['sources-out']) writeFileSync(values['sources-out'], JSON.stringify({ sources: demoSources(sim.url, villages ?? DEMO_TIYUH) }, null, 2) + '\n');
  console.log(`Village simulator: ${sim.total} residents in ${sim.villageCounts.size} villages at ${sim.url}`);
  console.log(`  Gabungan:   POST ${sim.url}/api/v1/signin {email, password}, GET ${sim.url}/api/v1/penduduk?filter[kode_kecamatan]=181201&sort=nik&page[number]=1&page[size]=500`);
  console.log(`  OpenSID API: POST ${sim.url}/desa/<kode_desa>/api/admin/login {username, password}, GET .../api/v1/admin/penduduk, .../api/admin/surat/mandiri`);
  console.log(`  login: operator@tubaba.test / rahasia-simulasi (the e-mail is also the admin user name); ${values['rate-limit'] === '0' ? 'no rate limit' : `${values['rate-limit']} requests a minute per user`}. Stop with Ctrl-C.`);
  await new Promise<void>((resolve) => {
    const stop = () => { void sim.close().then(resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
