import { writeFileSync } from 'node:fs';
import { loadEnv } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { startSimulator } from '../../simulator/server.js';
import { DEMO_TIYUH, demoSources } from '../../simulator/demoSources.js';

/** Serves Gabungan- and OpenSID-API-shaped endpoints over a generated population until stopped. */
export default async function simulate(opts: {
  port: number; residents: number; villages: string; invalidEvery: number; latency: number; rateLimit: number; warm?: boolean; sourcesOut?: string;
}): Promise<number> {
  const villages = opts.villages === 'all' ? undefined : opts.villages === 'demo' ? DEMO_TIYUH : opts.villages.split(',').map((v) => v.replace(/\./g, ''));
  const sim = await startSimulator({
    port: opts.port, residents: opts.residents, villages, invalidEvery: opts.invalidEvery, latencyMs: opts.latency, warm: opts.warm ?? false,
    // The servers' throttle:api, requests per minute per user; 0 turns it off (benchmarks).
    rateLimit: opts.rateLimit === 0 ? false : { requests: opts.rateLimit, windowMs: 60_000 },
  });
  if (opts.sourcesOut) {
    const regions = loadConfig(loadEnv().configDir).villages;
    writeFileSync(opts.sourcesOut, JSON.stringify({ sources: demoSources(sim.url, villages ?? DEMO_TIYUH, regions) }, null, 2) + '\n');
  }
  console.log(`Village simulator: ${sim.total} residents in ${sim.villageCounts.size} villages at ${sim.url}`);
  console.log(`  Gabungan:   POST ${sim.url}/api/v1/signin {email, password}, GET ${sim.url}/api/v1/penduduk?filter[kode_kecamatan]=181201&sort=nik&page[number]=1&page[size]=500`);
  console.log(`  OpenSID API: POST ${sim.url}/desa/<kode_desa>/api/admin/login {username, password}, GET .../api/v1/admin/penduduk, .../api/admin/surat/mandiri`);
  console.log(`  login: operator@tubaba.test / rahasia-simulasi (the e-mail is also the admin user name); ${opts.rateLimit === 0 ? 'no rate limit' : `${opts.rateLimit} requests a minute per user`}. Stop with Ctrl-C.`);
  await new Promise<void>((resolve) => {
    const stop = () => { void sim.close().then(resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
