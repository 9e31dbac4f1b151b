import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import jsonMap, { type Pointer } from 'json-source-map';
import { aidProgramsFileSchema, type AidGroup } from '../aid/config.js';
import { agenciesFileSchema, servicesFileSchema, sourcesFileSchema, type ApplicantField, type Level } from './schemas.js';
import { regionDigits } from './regionCode.js';
import { PULL_CONNECTORS } from '../connectors/registry.js';

export interface Region {
  /** Digit form: 2 (provinsi), 4 (kabupaten), 6 (kecamatan) or 10 (village) digits. */
  code: string;
  name: string;
  level: 'provinsi' | 'kabupaten' | 'kecamatan' | 'kelurahan' | 'desa';
}
export interface Agency { code: string; name: string; shortName?: string; levels: Level[] }
export interface Service {
  code: string;
  name: string;
  agency: string;
  level: Level;
  requiredApplicantFields: ApplicantField[];
  detailsSchema?: Record<string, unknown>;
  /** Working days (Monday–Friday) the agency has from routing to its answer. */
  serviceLevelDays: number;
  holdUntilIdentityResolved: boolean;
  /** Compiled detailsSchema, when there is one. */
  validateDetails?: ValidateFunction;
}
export interface SourceConfig {
  id: string;
  name?: string;
  villageCode?: string;
  kecamatanCode?: string;
  connector: string;
  enabled: boolean;
  schedule?: string;
  settings: Record<string, unknown>;
}

/** The typed, validated content of config/. */
export interface HubConfig {
  kabupatenCode: string;
  regions: Map<string, Region>;
  villages: Map<string, Region>;
  kecamatans: Map<string, Region>;
  agencies: Map<string, Agency>;
  services: Map<string, Service>;
  sources: SourceConfig[];
  /** Aid programs counted as one for double enrolment (config/aid-programs.json, optional). */
  aidGroups?: AidGroup[];
}

/** A config problem, always naming the file and where in it. */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly where: string, readonly reason: string) {
    super(`${file}${where ? `:${where}` : ''}: ${reason}`);
  }
}

export const configAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
addFormats.default(configAjv);

const REGION_LEVELS: Record<Region['level'], number> = { provinsi: 2, kabupaten: 4, kecamatan: 6, kelurahan: 10, desa: 10 };

function loadRegions(file: string, kabupatenCode: string): Map<string, Region> {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines[0]?.trim() !== 'code,name,level') throw new ConfigError(file, '1', 'header must be "code,name,level"');
  const regions = new Map<string, Region>();
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const at = String(i + 2);
    const [rawCode = '', name = '', level = ''] = line.split(',').map((s) => s.trim());
    const code = regionDigits(rawCode);
    if (!code) throw new ConfigError(file, at, `"${rawCode}" is not a region code`);
    if (!(level in REGION_LEVELS)) throw new ConfigError(file, at, `unknown level "${level}"`);
    const lvl = level as Region['level'];
    if (code.length !== REGION_LEVELS[lvl]) throw new ConfigError(file, at, `code ${rawCode} does not fit level ${lvl}`);
    if (lvl === 'kelurahan' && code[6] !== '1') throw new ConfigError(file, at, 'a kelurahan code has 1 as its 7th digit');
    if (lvl === 'desa' && code[6] !== '2') throw new ConfigError(file, at, 'a tiyuh (desa) code has 2 as its 7th digit');
    if (!name) throw new ConfigError(file, at, 'name is empty');
    if (regions.has(code)) throw new ConfigError(file, at, `code ${rawCode} appears twice`);
    const parentLen = code.length === 10 ? 6 : code.length - 2;
    if (parentLen > 0 && !regions.has(code.slice(0, parentLen))) {
      throw new ConfigError(file, at, `parent region of ${rawCode} is not listed above it`);
    }
    regions.set(code, { code, name, level: lvl });
  });
  if (!regions.has(kabupatenCode)) throw new ConfigError(file, '', `kabupaten ${kabupatenCode} is missing`);
  return regions;
}

function lineOf(pointers: Record<string, Pointer> | undefined, instancePath: string): string {
  if (!pointers) return '';
  let p = instancePath;
  for (;;) {
    const hit = pointers[p];
    if (hit) return String(hit.value.line + 1);
    if (!p) return '';
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

function describe(e: ErrorObject): string {
  const field = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${field}: unknown property "${String(e.params.additionalProperty)}"`;
  if (e.keyword === 'enum') return `${field}: must be one of ${JSON.stringify(e.params.allowedValues)}`;
  return `${field}: ${e.message ?? 'invalid'}`;
}

/** Reads a JSON file, checks it with a schema and reports the first problem with its line. */
function readJson<T>(file: string, schema: object, optional = false): { data: T; lineAt: (ptr: string) => string } | null {
  if (!existsSync(file)) {
    if (optional) return null;
    throw new ConfigError(file, '', 'file is missing');
  }
  const text = readFileSync(file, 'utf8');
  let parsed: { data: unknown; pointers: Record<string, Pointer> };
  try {
    parsed = jsonMap.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? String(text.slice(0, Number(pos[1])).split('\n').length) : '';
    throw new ConfigError(file, line, `not valid JSON (${msg})`);
  }
  const validate = configAjv.compile(schema);
  if (!validate(parsed.data)) {
    const first = validate.errors![0]!;
    throw new ConfigError(file, lineOf(parsed.pointers, first.instancePath), describe(first));
  }
  return { data: parsed.data as T, lineAt: (ptr) => lineOf(parsed.pointers, ptr) };
}

export function loadConfig(configDir: string, kabupatenCode = '1812'): HubConfig {
  const regions = loadRegions(path.join(configDir, 'regions.csv'), kabupatenCode);
  const villages = new Map([...regions].filter(([c]) => c.startsWith(kabupatenCode) && c.length === 10));
  const kecamatans = new Map([...regions].filter(([c]) => c.startsWith(kabupatenCode) && c.length === 6));

  const agenciesFile = path.join(configDir, 'agencies.json');
  const a = readJson<{ agencies: Agency[] }>(agenciesFile, agenciesFileSchema)!;
  const agencies = new Map<string, Agency>();
  a.data.agencies.forEach((agency, i) => {
    if (agencies.has(agency.code)) throw new ConfigError(agenciesFile, a.lineAt(`/agencies/${i}/code`), `agency code "${agency.code}" appears twice`);
    agencies.set(agency.code, agency);
  });

  const servicesFile = path.join(configDir, 'services.json');
  const s = readJson<{ services: Service[] }>(servicesFile, servicesFileSchema)!;
  const services = new Map<string, Service>();
  s.data.services.forEach((svc, i) => {
    const at = (field: string) => s.lineAt(`/services/${i}/${field}`);
    if (services.has(svc.code)) throw new ConfigError(servicesFile, at('code'), `service code "${svc.code}" appears twice`);
    const agency = agencies.get(svc.agency);
    if (!agency) throw new ConfigError(servicesFile, at('agency'), `/services/${i}/agency: unknown agency "${svc.agency}"`);
    if (!agency.levels.includes(svc.level)) {
      throw new ConfigError(servicesFile, at('level'), `/services/${i}/level: agency "${svc.agency}" does not serve at level "${svc.level}"`);
    }
    const service: Service = { ...svc };
    if (svc.detailsSchema) {
      try {
        service.validateDetails = configAjv.compile(svc.detailsSchema);
      } catch (err) {
        throw new ConfigError(servicesFile, at('detailsSchema'), `/services/${i}/detailsSchema: ${(err as Error).message}`);
      }
    }
    services.set(svc.code, service);
  });

  const sourcesFile = path.join(configDir, 'sources.json');
  const src = readJson<{ sources: SourceConfig[] }>(sourcesFile, sourcesFileSchema, true);
  const sources: SourceConfig[] = [];
  const seen = new Set<string>();
  src?.data.sources.forEach((source, i) => {
    const at = (field: string) => src.lineAt(`/sources/${i}/${field}`);
    if (seen.has(source.id)) throw new ConfigError(sourcesFile, at('id'), `source id "${source.id}" appears twice`);
    seen.add(source.id);
    const out: SourceConfig = { ...source };
    if (source.villageCode !== undefined) {
      const v = regionDigits(source.villageCode);
      if (!v || !villages.has(v)) throw new ConfigError(sourcesFile, at('villageCode'), `/sources/${i}/villageCode: "${source.villageCode}" is not a village of ${kabupatenCode}`);
      out.villageCode = v;
    }
    if (source.kecamatanCode !== undefined) {
      const k = regionDigits(source.kecamatanCode);
      if (!k || !kecamatans.has(k)) throw new ConfigError(sourcesFile, at('kecamatanCode'), `/sources/${i}/kecamatanCode: "${source.kecamatanCode}" is not a kecamatan of ${kabupatenCode}`);
      out.kecamatanCode = k;
    }
    // A connector's mapping onto the catalogue (letter types → services) must name services that exist.
    for (const ref of PULL_CONNECTORS[source.connector]?.serviceCodes?.(source.settings ?? {}) ?? []) {
      if (!services.has(ref.code)) {
        const field = `/sources/${i}/settings${ref.pointer}`;
        throw new ConfigError(sourcesFile, src.lineAt(field), `${field}: unknown service "${ref.code}" (not in services.json)`);
      }
    }
    sources.push(out);
  });

  const aid = readJson<{ exclusive: AidGroup[] }>(path.join(configDir, 'aid-programs.json'), aidProgramsFileSchema, true);

  return { kabupatenCode, regions, villages, kecamatans, agencies, services, sources, aidGroups: aid?.data.exclusive ?? [] };
}
