import { Ajv, type ValidateFunction } from 'ajv';
import { SyncError } from './types.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** The settings checked against the connector's schema, defaults filled in (on a copy). */
export function checkedSettings<S>(schema: object, settings: Record<string, unknown>): S {
  let validate = compiled.get(schema);
  if (!validate) { validate = ajv.compile(schema); compiled.set(schema, validate); }
  const copy = structuredClone(settings);
  if (!validate(copy)) {
    const e = validate.errors![0]!;
    throw new SyncError('SETTINGS_INVALID', `settings${e.instancePath} ${e.message ?? 'invalid'}`, false);
  }
  return copy as S;
}

/** The settings without the properties the schema marks writeOnly (passwords, tokens): safe to show or log. */
export function publicSettings(schema: object, settings: Record<string, unknown>): Record<string, unknown> {
  const props = (schema as { properties?: Record<string, { writeOnly?: boolean; properties?: object }> }).properties ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    const p = props[k];
    if (p?.writeOnly) continue;
    out[k] = p?.properties && v && typeof v === 'object' && !Array.isArray(v) ? publicSettings(p, v as Record<string, unknown>) : v;
  }
  return out;
}
