import { loadEnv } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import { createKey } from '../../api/keys.js';
import { createUser } from '../../staff/users.js';
import { dottedRegion } from '../../config/regionCode.js';
import { closeOnSignal, startServing } from './serve.js';
import type { Hub } from '../../runtime/hub.js';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSimulator } from '../../simulator/server.js';
import { DEMO_TIYUH, demoSources } from '../../simulator/demoSources.js';

const DEMO_VILLAGE = '1812012002'; // Tiyuh Panaragan, Kecamatan Tulang Bawang Tengah

/** One console user per role, each printed with its one-time password; a rerun on the same data makes new names. */
async function demoConsoleUsers(hub: Hub, agency: string) {
  const suffix = Date.now().toString(36).slice(-4);
  const wanted = [
    { role: 'admin', username: `admin-${suffix}`, fullName: 'Admin Kabupaten (demo)', scope: 'Kabupaten Tulang Bawang Barat' },
    { role: 'kecamatan', username: `kecamatan-${suffix}`, fullName: 'Petugas Kecamatan (demo)', region: DEMO_VILLAGE.slice(0, 6), scope: `Kecamatan ${hub.config.kecamatans.get(DEMO_VILLAGE.slice(0, 6))?.name}` },
    { role: 'instansi', username: `instansi-${suffix}`, fullName: 'Meja Instansi (demo)', agency, scope: hub.config.agencies.get(agency)?.shortName ?? agency },
    { role: 'tiyuh', username: `tiyuh-${suffix}`, fullName: 'Operator Tiyuh (demo)', region: DEMO_VILLAGE, scope: `Tiyuh ${hub.config.villages.get(DEMO_VILLAGE)?.name}` },
  ];
  const out = [];
  for (const w of wanted) {
    const { password } = await createUser(hub.database.db, hub.config, w, { actor: 'demo' });
    out.push({ role: w.role, username: w.username, password, scope: w.scope });
  }
  return out;
}

/** Starts the hub (API + workers) and prints keys and curl commands a newcomer can paste. */
export default async function demo(): Promise<number> {
  const base = loadEnv({ LOG_LEVEL: 'warn', ...process.env });
  const regions = loadConfig(base.configDir).villages;
  // Ten simulated tiyuh (OpenSID API) that the hub pulls on schedule; the demo's config is a copy of
  // config/ with those sources, so the repository's config stays as it is.
  const simulator = await startSimulator({ villages: DEMO_TIYUH, residents: 5000, invalidEvery: 200 });
  const configDir = path.join(base.dataDir, 'demo-config');
  mkdirSync(configDir, { recursive: true });
  for (const f of ['regions.csv', 'agencies.json', 'services.json']) copyFileSync(path.join(base.configDir, f), path.join(configDir, f));
  writeFileSync(path.join(configDir, 'sources.json'), JSON.stringify({ sources: demoSources(simulator.url, DEMO_TIYUH, regions) }, null, 2));
  const env = { ...base, configDir };
  const hub = await startServing(env, { workers: true });
  const services = [...hub.config.services.values()];
  const service = services.find((s) => s.agency === 'disdukcapil' && !s.detailsSchema && !s.holdUntilIdentityResolved)
    ?? services.find((s) => !s.detailsSchema && !s.holdUntilIdentityResolved)!;
  const village = await createKey(hub.database.db, { role: 'village', villageCode: DEMO_VILLAGE, label: 'demo village' });
  const agency = await createKey(hub.database.db, { role: 'agency', agencyCode: service.agency, label: 'demo agency' });
  const kecamatan = await createKey(hub.database.db, { role: 'kecamatan', kecamatanCode: DEMO_VILLAGE.slice(0, 6), label: 'demo kecamatan' });
  const admin = await createKey(hub.database.db, { role: 'admin', label: 'demo admin' });
  const consoleUsers = await demoConsoleUsers(hub, service.agency);
  const url = hub.url!.replace('[::1]', 'localhost');
  const externalId = `demo-${Date.now()}`;
  const body = JSON.stringify({
    externalId, service: service.code,
    applicant: {
      nik: '1812015708900003', kk: '1812011203150007', fullName: 'Siti Rahayu', sex: 'F', birthDate: '1990-08-17',
      birthPlace: 'Panaragan', motherName: 'Sumarni', address: 'Jl. Lintas Sumatera', rt: '002', rw: '001', dusun: 'Dusun 1',
      villageCode: dottedRegion(DEMO_VILLAGE), phone: '081234567890',
    },
  });
  const queue = service.level === 'kabupaten' ? '' : `?kecamatan=${DEMO_VILLAGE.slice(0, 6)}`;
  console.log(`
Tiyuh Hub demo is running at ${url}
  database: ${hub.database.describe}
  redis:    ${hub.redis.describe}

Village key (Tiyuh ${hub.config.villages.get(DEMO_VILLAGE)?.name}, ${dottedRegion(DEMO_VILLAGE)}):
  ${village.secret}
Agency key (${hub.config.agencies.get(service.agency)?.name}):
  ${agency.secret}
Kecamatan key (Kecamatan ${hub.config.kecamatans.get(DEMO_VILLAGE.slice(0, 6))?.name}, ${dottedRegion(DEMO_VILLAGE.slice(0, 6))}: review cases, quarantine, sources):
  ${kecamatan.secret}
Admin key (every region; sources, metrics):
  ${admin.secret}

1) Register "${service.name}" (${service.code}) for a citizen of the tiyuh:
curl -s -X POST ${url}/v1/registrations -H 'Authorization: Bearer ${village.secret}' -H 'Content-Type: application/json' -d '${body}'

2) See it waiting in the ${service.agency} queue (within a second):
curl -s ${url}/v1/agencies/${service.agency}/items${queue} -H 'Authorization: Bearer ${agency.secret}'

3) Claim it as the agency operator:
curl -s -X POST ${url}/v1/agencies/${service.agency}/items/claim -H 'Authorization: Bearer ${agency.secret}' -H 'Content-Type: application/json' -d '{"max": 5}'

4) Ten simulated tiyuh (${simulator.url}) sync every minute; watch them catch up:
curl -s ${url}/v1/sources -H 'Authorization: Bearer ${admin.secret}'
   Their citizens' letter requests (permohonan surat) become registrations too: "Keterangan KTP dalam Proses"
   lands in the queue of step 2, an unmapped letter type in quarantine (GET /v1/quarantine?kind=registration).
   Can the hub reach a tiyuh and log in?
curl -s -X POST ${url}/v1/sources/tiyuh-${DEMO_VILLAGE}/check -H 'Authorization: Bearer ${admin.secret}'

5) Possible duplicates waiting for the kecamatan's review:
curl -s '${url}/v1/review-cases?kecamatan=${DEMO_VILLAGE.slice(0, 6)}' -H 'Authorization: Bearer ${kecamatan.secret}'

The catalogue: curl -s ${url}/v1/services
While the demo runs, the CLI works through it (same DATA_DIR), e.g.: ./bin/tiyuh-hub.js keys create --kecamatan 18.12.02
Stop with Ctrl-C.
`);
  console.log(`Konsol Petugas (staff console): ${url}/
  Each user's first login asks for a new password.
${consoleUsers.map((u) => `  ${u.role.padEnd(10)} ${u.username.padEnd(20)} ${u.password}   ${u.scope}`).join('\n')}
`);
  await closeOnSignal(hub);
  await simulator.close();
  return 0;
}
