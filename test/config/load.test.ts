import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { loadEnv, EnvError } from '../../src/config/env.js';
import { regionDigits, dottedRegion } from '../../src/config/regionCode.js';

const REPO_CONFIG = path.resolve(import.meta.dirname, '../../config');

/** The ConfigError a load throws (fails the test when it does not throw one). */
function loadError(dir: string): ConfigError {
  try {
    loadConfig(dir);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('config loaded without error');
}

function copyConfig(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tiyuh-config-'));
  cpSync(REPO_CONFIG, dir, { recursive: true });
  return dir;
}

t.test('the shipped config describes Tubaba', async (t) => {
  const c = loadConfig(REPO_CONFIG);
  t.equal(c.kecamatans.size, 9, '9 kecamatan');
  t.equal(c.villages.size, 103, '103 villages');
  t.equal([...c.villages.values()].filter((v) => v.level === 'desa').length, 100, '100 tiyuh');
  t.equal([...c.villages.values()].filter((v) => v.level === 'kelurahan').length, 3, '3 kelurahan');
  t.equal(c.regions.size, 114, 'all 114 rows');
  t.ok(c.agencies.size >= 15, `at least 15 agencies (${c.agencies.size})`);
  t.ok(c.services.size >= 40, `at least 40 services (${c.services.size})`);
  for (const s of c.services.values()) {
    const agency = c.agencies.get(s.agency);
    t.ok(agency?.levels.includes(s.level), `${s.code} is served by ${s.agency} at ${s.level}`);
  }
  t.ok([...c.services.values()].some((s) => s.holdUntilIdentityResolved), 'aid services wait for identity');
  t.ok([...c.services.values()].some((s) => s.level === 'kecamatan'), 'some services are kecamatan-level');
  // Three village names repeat across kecamatan: codes, never names, identify a village.
  const names = [...c.villages.values()].map((v) => v.name);
  t.ok(names.length - new Set(names).size >= 3, 'repeated village names are kept apart by code');
});

t.test('region codes are accepted dotted or plain', async (t) => {
  t.equal(regionDigits('18.12.01.2002'), '1812012002');
  t.equal(regionDigits('1812012002'), '1812012002');
  t.equal(regionDigits('18.12'), '1812');
  t.equal(regionDigits('18.12.01.20'), null);
  t.equal(regionDigits('abc'), null);
  t.equal(dottedRegion('1812012002'), '18.12.01.2002');
});

t.test('a bad file stops the hub with file, line and reason', async (t) => {
  const dir = copyConfig();
  const servicesFile = path.join(dir, 'services.json');
  const services = JSON.parse(readFileSync(servicesFile, 'utf8'));
  services.services[2].agency = 'no-such-agency';
  writeFileSync(servicesFile, JSON.stringify(services, null, 2));
  const err = t.throws(() => loadConfig(dir)) as ConfigError;
  t.type(err, ConfigError);
  t.equal(err.file, servicesFile);
  const line = readFileSync(servicesFile, 'utf8').split('\n').findIndex((l) => l.includes('no-such-agency')) + 1;
  t.equal(err.where, String(line), 'names the line of the bad value');
  t.match(err.reason, /unknown agency "no-such-agency"/);

  services.services[2].agency = services.services[1].agency;
  services.services[2].colour = 'red';
  writeFileSync(servicesFile, JSON.stringify(services, null, 2));
  t.match(loadError(dir).reason, /unknown property "colour"/);

  writeFileSync(servicesFile, '{"services": [\n  {"code": "X",\n  }\n]}');
  const syntax = loadError(dir);
  t.equal(syntax.where, '3');
  t.match(syntax.reason, /not valid JSON/);
});

t.test('a bad region row names its line', async (t) => {
  const dir = copyConfig();
  const file = path.join(dir, 'regions.csv');
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[10] = '18.12.01.9,Broken,desa';
  writeFileSync(file, lines.join('\n'));
  const err = loadError(dir);
  t.equal(err.file, file);
  t.equal(err.where, '11');
});

t.test('sources name real villages', async (t) => {
  const dir = copyConfig();
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify({ sources: [{ id: 'x-1', connector: 'opendk-push', villageCode: '18.12.01.9999' }] }));
  t.match(loadError(dir).reason, /not a village of 1812/);
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify({ sources: [{ id: 'x-1', connector: 'opendk-push', villageCode: '18.12.01.2002' }] }));
  t.equal(loadConfig(dir).sources[0]?.villageCode, '1812012002', 'stored in the 10-digit form');
});

t.test('an OpenSID API source maps letter types onto services that exist in the catalogue', async (t) => {
  const dir = copyConfig();
  const source = (letterServices: Record<string, string>) => ({ sources: [{
    id: 'desa-1', connector: 'opensid-api', villageCode: '1812012002',
    settings: { baseUrl: 'http://127.0.0.1:4010/desa/1812012002', email: 'a@b.c', password: 'x', letterServices },
  }] });
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(source({ 'Keterangan Kurang Mampu': 'REKOMENDASI_PBI_JK' }), null, 2));
  t.equal(loadConfig(dir).sources.length, 1, 'a known service loads');
  writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(source({ 'Keterangan Kurang Mampu': 'REKOMENDASI_PBI_JK', 'surat_ket/usaha': 'SK_USAHA' }), null, 2));
  const e = loadError(dir);
  t.equal(e.file, path.join(dir, 'sources.json'));
  t.equal(e.where, '13', 'the line of the unknown code');
  t.equal(e.reason, '/sources/0/settings/letterServices/surat_ket~1usaha: unknown service "SK_USAHA" (not in services.json)');
});

t.test('environment is validated once', async (t) => {
  const env = loadEnv({ PORT: '8080' });
  t.equal(env.port, 8080);
  t.equal(env.databaseUrl, undefined, 'no DATABASE_URL means embedded PGlite');
  t.type(t.throws(() => loadEnv({ PORT: 'eighty' }), /PORT must be integer/), EnvError);
  t.throws(() => loadEnv({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
  t.throws(() => loadEnv({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
});
