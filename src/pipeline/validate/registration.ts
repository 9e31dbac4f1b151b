import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
// A CommonJS module: its function is the namespace's default.
import * as idLocaleModule from 'ajv-i18n/localize/id/index.js';

const idLocale = idLocaleModule as unknown as { default: (errors: ErrorObject[]) => void };
import type { HubConfig, Service } from '../../config/load.js';
import { regionDigits } from '../../config/regionCode.js';
import { checkKk, checkNik } from './nik.js';
import { recordError, type RecordError } from './recordError.js';
import { storableText } from '../intake/storable.js';

/** The applicant (a citizen) as villages send it. The API documents and checks this same schema. */
export const applicantSchema = {
  type: 'object',
  required: ['fullName'],
  additionalProperties: false,
  properties: {
    nik: { type: 'string', maxLength: 32, description: 'NIK, 16 digits; "0" or an OpenSID temporary NIK means none' },
    kk: { type: 'string', maxLength: 32, description: 'Nomor KK, 16 digits' },
    fullName: { type: 'string', minLength: 1, maxLength: 100 },
    sex: { enum: ['M', 'F'] },
    birthDate: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' },
    birthPlace: { type: 'string', maxLength: 100 },
    motherName: { type: 'string', maxLength: 100 },
    address: { type: 'string', maxLength: 200 },
    rt: { type: 'string', maxLength: 5 },
    rw: { type: 'string', maxLength: 5 },
    dusun: { type: 'string', maxLength: 60 },
    villageCode: { type: 'string', maxLength: 13, description: 'Kemendagri village code, dotted or 10 digits; defaults to the key\'s village' },
    phone: { type: 'string', pattern: '^\\+?[0-9][0-9 -]{5,19}$' },
  },
} as const;

export const registrationSchema = {
  type: 'object',
  required: ['externalId', 'service', 'applicant'],
  additionalProperties: false,
  properties: {
    externalId: { type: 'string', minLength: 1, maxLength: 64, description: 'The village system\'s own id; unique per village' },
    service: { type: 'string', minLength: 1, maxLength: 48, description: 'Service catalogue code (GET /v1/services)' },
    submittedAt: { type: 'string', format: 'date-time' },
    applicant: applicantSchema,
    details: { type: 'object', description: 'Service-specific details, checked against the service\'s detailsSchema' },
  },
} as const;

/**
 * The two schemas as the API reference shows them: an optional property may also be null, which
 * checkRegistration reads as not given. The checks themselves run on the schemas above.
 */
function nullableOptional<T extends { required: readonly string[]; properties: Record<string, object> }>(schema: T, nested: Record<string, object> = {}): object {
  const properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k,
    nested[k] ?? (schema.required.includes(k) ? v : { ...v, nullable: true })]));
  return { ...schema, properties };
}

export const registrationDocSchema = nullableOptional(registrationSchema, {
  applicant: { ...nullableOptional(applicantSchema), description: 'The applicant; a property left out or sent as null is not given' },
});

export interface Applicant {
  nik: string | null;
  kk: string | null;
  fullName: string;
  sex: 'M' | 'F' | null;
  birthDate: string | null;
  birthPlace: string | null;
  motherName: string | null;
  address: string | null;
  rt: string | null;
  rw: string | null;
  dusun: string | null;
  villageCode: string;
  phone: string | null;
}

export interface ValidRegistration {
  externalId: string;
  service: Service;
  submittedAt: string | null;
  applicant: Applicant;
  details: Record<string, unknown> | null;
}

export type RegistrationCheck =
  | { ok: true; value: ValidRegistration; warnings: RecordError[] }
  | { ok: false; errors: RecordError[]; externalId: string | null };

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const shapeOf = ajv.compile(registrationSchema);

/** Control characters and odd spacing come from copy-paste and old SIAK exports; names keep their letters. */
const NEEDS_CLEANING = /[\u0000-\u001f\u007f-\u009f\u200b-\u200d\ufeff]|\s{2}|^\s|\s$|[^\u0000-\u007f]/;

export function cleanText(value: string): string {
  // Most values are already clean ASCII; skip the rewriting for them (it is on the intake hot path).
  if (!NEEDS_CLEANING.test(value)) return value;
  return storableText(value).normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200d\ufeff]/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Strings cleaned, in a copy. With `nullsAbsent`, an object's properties sent as `null` are left out
 * (see checkRegistration); its `applicant` is read the same way, nothing deeper.
 */
function cleanStrings(value: unknown, nullsAbsent = false): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) return value.map((v) => cleanStrings(v));
  if (value && typeof value === 'object') {
    // A loop, not Object.fromEntries(Object.entries(…).map(…)): no pair arrays per field (8% of the
    // serving thread in an HTTP batch push). A `__proto__` key stays an own property, as fromEntries made it.
    const out: Record<string, unknown> = {};
    const input = value as Record<string, unknown>;
    for (const k of Object.keys(input)) {
      const v = input[k];
      if (nullsAbsent && v === null) continue;
      if (k === '__proto__') Object.defineProperty(out, k, { value: cleanStrings(v), enumerable: true, writable: true, configurable: true });
      else out[k] = cleanStrings(v, nullsAbsent && k === 'applicant');
    }
    return out;
  }
  return value;
}

function fieldOf(e: ErrorObject, prefix = ''): string {
  const path = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'required') path.push(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty));
  return [prefix, ...path].filter(Boolean).join('.') || (prefix || 'body');
}

/**
 * ajv's own words for an error in Indonesian (ajv-i18n's maintained `id` locale) and English. The
 * translation rewrites `message` in place, so it runs on a copy.
 */
function ajvMessage(e: ErrorObject): { id: string; en: string } {
  const copy = [{ ...e }];
  idLocale.default(copy);
  return { id: (copy[0]!.message ?? e.keyword).trim(), en: (e.message ?? e.keyword).trim() };
}

const TYPE_ID: Record<string, string> = { string: 'teks', integer: 'bilangan bulat', number: 'angka', boolean: 'boolean', object: 'objek', array: 'larik', null: 'null' };
const typeList = (t: unknown, names?: Record<string, string>) => (Array.isArray(t) ? t : String(t).split(',')).map((x) => names?.[x] ?? x).join(names ? ' atau ' : ' or ');

/** Turns ajv's findings into the hub's coded errors. */
export function shapeErrors(errors: ErrorObject[], prefix = ''): RecordError[] {
  return errors.map((e) => {
    const field = fieldOf(e, prefix);
    switch (e.keyword) {
      case 'required': return recordError('FIELD_REQUIRED', field);
      case 'additionalProperties': return recordError('FIELD_UNKNOWN', field);
      case 'type': return recordError('FIELD_TYPE', field, { id: typeList(e.params.type, TYPE_ID), en: typeList(e.params.type) });
      case 'minLength': return e.params.limit === 1 ? recordError('FIELD_EMPTY', field) : recordError('FIELD_FORMAT', field, ajvMessage(e));
      case 'maxLength': return recordError('FIELD_TOO_LONG', field, String(e.params.limit));
      case 'enum': return recordError('FIELD_ENUM', field, (e.params.allowedValues as unknown[]).join(', '));
      case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum': case 'minItems': case 'maxItems':
        return recordError('FIELD_RANGE', field, ajvMessage(e));
      default: return recordError('FIELD_FORMAT', field, ajvMessage(e));
    }
  });
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A YYYY-MM-DD day that exists in the Gregorian calendar; arithmetic, not two Date objects a record. */
export function isCalendarDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const y = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

function checkDate(value: string, field: string, today: string): RecordError | null {
  if (!isCalendarDate(value) || value < '1880-01-01') {
    return recordError('DATE_INVALID', field, value);
  }
  return value > today ? recordError('DATE_IN_FUTURE', field) : null;
}

const orNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Checks each registration of one submission; a later one repeating an accepted externalId is refused
 * (EXTERNAL_ID_DUPLICATE), as the first of them is the one stored.
 */
export function checkRegistrations(list: readonly unknown[], config: HubConfig, defaultVillage: string, now = new Date()): RegistrationCheck[] {
  const checks = list.map((r) => checkRegistration(r, config, defaultVillage, now));
  const seen = new Set<string>();
  checks.forEach((c, i) => {
    if (!c.ok) return;
    if (seen.has(c.value.externalId)) {
      checks[i] = { ok: false, externalId: c.value.externalId, errors: [recordError('EXTERNAL_ID_DUPLICATE', 'externalId', c.value.externalId)] };
    }
    seen.add(c.value.externalId);
  });
  return checks;
}

/**
 * Shape (ajv) first, then the domain: catalogue, region, NIK/KK structure, the service's required
 * fields and details schema. A NIK that disagrees with birth date or sex is a warning: the NIK is
 * permanent, the record may be the one that is wrong.
 */
export function checkRegistration(input: unknown, config: HubConfig, defaultVillage: string, now = new Date()): RegistrationCheck {
  // A property sent as null is one not given, as an empty string already was and as the pull
  // connectors read a resident's fields: village systems send `"motherName": null` (PHP's json_encode
  // of an unset value), and refusing the registration for a field it may leave out kept a citizen's
  // request from its agency. A required one sent as null is reported missing (FIELD_REQUIRED).
  // `details` keep their nulls for the service's own schema.
  const raw = cleanStrings(input, true) as Record<string, unknown>;
  const externalId = raw && typeof raw === 'object' && typeof raw.externalId === 'string' ? raw.externalId : null;
  if (!shapeOf(raw)) return { ok: false, errors: shapeErrors(shapeOf.errors ?? []), externalId };

  const a = raw.applicant as Record<string, string | undefined>;
  const errors: RecordError[] = [];
  const warnings: RecordError[] = [];
  const today = now.toISOString().slice(0, 10);

  const service = config.services.get(raw.service as string);
  if (!service) errors.push(recordError('SERVICE_UNKNOWN', 'service', raw.service as string));

  let villageCode = defaultVillage;
  if (a.villageCode !== undefined) {
    const digits = regionDigits(a.villageCode);
    if (!digits || digits.length !== 10) errors.push(recordError('VILLAGE_CODE_INVALID', 'applicant.villageCode', a.villageCode));
    else if (!config.villages.has(digits)) errors.push(recordError('VILLAGE_CODE_UNKNOWN', 'applicant.villageCode', a.villageCode));
    else villageCode = digits;
  }

  const birthDate = orNull(a.birthDate);
  if (birthDate) {
    const e = checkDate(birthDate, 'applicant.birthDate', today);
    if (e) errors.push(e);
  }
  if (typeof raw.submittedAt === 'string' && new Date(raw.submittedAt).getTime() > now.getTime() + 86_400_000) {
    errors.push(recordError('DATE_IN_FUTURE', 'submittedAt'));
  }
  const sex = (a.sex as 'M' | 'F' | undefined) ?? null;
  const nik = checkNik(a.nik, 'applicant.nik', birthDate, sex);
  errors.push(...nik.errors);
  warnings.push(...nik.warnings);
  const kk = checkKk(a.kk, 'applicant.kk');
  errors.push(...kk.errors);

  const applicant: Applicant = {
    nik: nik.nik,
    kk: kk.kk,
    fullName: a.fullName as string,
    sex,
    birthDate,
    birthPlace: orNull(a.birthPlace),
    motherName: orNull(a.motherName),
    address: orNull(a.address),
    rt: orNull(a.rt),
    rw: orNull(a.rw),
    dusun: orNull(a.dusun),
    villageCode,
    phone: orNull(a.phone),
  };

  if (service) {
    for (const f of service.requiredApplicantFields) {
      if (applicant[f] != null) continue;
      if (f === 'nik' && nik.temporary) errors.push(recordError('NIK_TEMPORARY', 'applicant.nik'));
      else if (!errors.some((e) => e.field === `applicant.${f}`)) {
        errors.push(recordError('FIELD_REQUIRED', `applicant.${f}`, `layanan ${service.code}`));
      }
    }
    if (service.validateDetails && !service.validateDetails(raw.details ?? {})) {
      for (const e of shapeErrors(service.validateDetails.errors ?? [], 'details')) {
        errors.push(recordError('DETAILS_INVALID', e.field, e.message));
      }
    }
  }

  if (errors.length) return { ok: false, errors, externalId };
  return {
    ok: true,
    warnings,
    value: {
      externalId: raw.externalId as string,
      service: service!,
      submittedAt: (raw.submittedAt as string | undefined) ?? null,
      applicant,
      details: (raw.details as Record<string, unknown> | undefined) ?? null,
    },
  };
}
