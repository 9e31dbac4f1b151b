import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { APPLICANT_FIELDS } from '../../src/config/schemas.js';

const REPO_CONFIG = path.resolve(import.meta.dirname, '../../config');

t.test('the MPP catalogue: 39 agencies and their 417 services', async (t) => {
  const c = loadConfig(REPO_CONFIG);
  t.equal(c.agencies.size, 39, '39 agencies');
  t.equal(c.services.size, 417, '417 services');
  for (const code of [
    'disdukcapil', 'dpmptsp', 'dinkes', 'dinsos', 'bapenda', 'dishub', 'disnakertrans', 'atr-bpn', 'kemenag', 'polres',
    'samsat', 'imigrasi', 'pengadilan-agama', 'kejari', 'bpjs-kesehatan', 'bpjs-ketenagakerjaan', 'bank-lampung', 'pdam', 'pln',
    'kpp-pratama', 'paten',
  ]) t.ok(c.agencies.has(code), `agency ${code}`);

  const perAgency = new Map<string, number>();
  const names = new Set<string>();
  let withSchema = 0;
  for (const s of c.services.values()) {
    perAgency.set(s.agency, (perAgency.get(s.agency) ?? 0) + 1);
    const agency = c.agencies.get(s.agency);
    if (!agency) { t.fail(`${s.code}: unknown agency ${s.agency}`); continue; }
    if (!agency.levels.includes(s.level)) t.fail(`${s.code}: ${s.agency} does not serve at ${s.level}`);
    if (!Number.isInteger(s.serviceLevelDays) || s.serviceLevelDays < 1 || s.serviceLevelDays > 365) t.fail(`${s.code}: service level ${s.serviceLevelDays}`);
    if (!s.requiredApplicantFields.includes('fullName')) t.fail(`${s.code}: no fullName`);
    if (s.requiredApplicantFields.some((f) => !(APPLICANT_FIELDS as readonly string[]).includes(f))) t.fail(`${s.code}: unknown applicant field`);
    const key = `${s.agency}/${s.name}`;
    if (names.has(key)) t.fail(`${s.code}: name repeated within ${s.agency}`);
    names.add(key);
    if (!s.detailsSchema) continue;
    withSchema++;
    // A details schema is closed, documented and self-consistent: what it requires, it describes.
    const schema = s.detailsSchema as { type?: string; additionalProperties?: boolean; properties?: Record<string, { description?: string }>; required?: string[] };
    if (schema.type !== 'object' || schema.additionalProperties !== false) t.fail(`${s.code}: details schema is not a closed object`);
    if (!s.validateDetails) t.fail(`${s.code}: details schema not compiled`);
    for (const r of schema.required ?? []) if (!schema.properties?.[r]) t.fail(`${s.code}: requires undescribed "${r}"`);
    for (const [name, p] of Object.entries(schema.properties ?? {})) if (!p.description) t.fail(`${s.code}.${name}: no description`);
    if (s.validateDetails?.({ notAField: 1 })) t.fail(`${s.code}: details schema accepts an unknown field`);
  }
  for (const a of c.agencies.values()) t.ok((perAgency.get(a.code) ?? 0) >= 3, `${a.code} offers ${perAgency.get(a.code) ?? 0} services`);
  t.ok(withSchema >= 150, `${withSchema} services describe their details`);
  t.ok([...c.services.values()].filter((s) => s.level === 'kecamatan').length >= 40, 'kecamatan-level services');
  t.ok([...c.services.values()].filter((s) => s.holdUntilIdentityResolved).length >= 30, 'aid services wait for identity');
  // Codes the rest of the hub and its tests name keep working.
  for (const code of ['KTP_EL_BARU', 'KK_BARU', 'AKTA_KELAHIRAN', 'REKOMENDASI_PBI_JK', 'SKCK', 'SURAT_KETERANGAN_SEHAT', 'PENDAFTARAN_NIKAH']) {
    t.ok(c.services.has(code), code);
  }
  t.equal(c.services.get('KTP_EL_BARU')?.serviceLevelDays, 1, 'KTP-el: one working day');
});

t.test('a service without its service level is refused, with its line', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tiyuh-catalogue-'));
  cpSync(REPO_CONFIG, dir, { recursive: true });
  const file = path.join(dir, 'services.json');
  const services = JSON.parse(readFileSync(file, 'utf8'));
  delete services.services[5].serviceLevelDays;
  services.services[7].serviceLevelDays = 0;
  writeFileSync(file, JSON.stringify(services, null, 2));
  const err = t.throws(() => loadConfig(dir)) as ConfigError;
  t.type(err, ConfigError);
  t.match(err.reason, /\/services\/5: must have required property 'serviceLevelDays'/);
  delete services.services[7];
  services.services = services.services.filter(Boolean);
  services.services[5].serviceLevelDays = 0;
  writeFileSync(file, JSON.stringify(services, null, 2));
  t.match((t.throws(() => loadConfig(dir)) as ConfigError).reason, /\/services\/5\/serviceLevelDays: must be >= 1/);
});
