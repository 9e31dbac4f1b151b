/**
 * What Postgres can store from what a sender may send. jsonb and text refuse `\u0000` and a lone
 * UTF-16 surrogate (`\ud800`), and one of them in a batch used to fail the whole batch's transaction
 * on every retry; recursion over a body nested thousands deep overflowed the stack. Every channel's
 * raw input passes here once, before anything is stored or validated.
 */

/** Deeper than any record the hub takes (a registration's details are a few levels): refused as a whole. */
export const MAX_DEPTH = 32;

export class TooDeepError extends Error {
  constructor(readonly depth: number) {
    super(`nested deeper than ${depth} levels`);
  }
}

const SUSPECT = /[\u0000\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** NUL removed, lone surrogates replaced by U+FFFD; well-formed text (the common case) is returned as is. */
export function storableText(s: string): string {
  if (!SUSPECT.test(s)) return s;
  return s.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\ufffd');
}

/**
 * The value (changed in place) with every string and key made storable; throws TooDeepError past
 * `maxDepth`, before going deeper, so recursion within that bound cannot exhaust the stack (JSON.parse
 * itself is iterative). Keys named `__proto__`, or that become it once cleaned, are dropped.
 */
export function storableValue<T>(value: T, maxDepth = MAX_DEPTH): T {
  return storableAt(value, 0, maxDepth) as T;
}

function storableAt(v: unknown, depth: number, maxDepth: number): unknown {
  if (typeof v === 'string') return storableText(v);
  if (!v || typeof v !== 'object') return v;
  if (depth >= maxDepth) throw new TooDeepError(maxDepth);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const clean = storableAt(item, depth + 1, maxDepth);
      if (clean !== item) v[i] = clean;
    }
    return v;
  }
  const obj = v as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const key = k === '__proto__' ? '' : storableText(k);
    if (key !== k) {
      const inner = obj[k];
      delete obj[k];
      // Dropped, and so is a key that becomes `__proto__` once cleaned: assigned, it would set the prototype.
      if (key === '' || key === '__proto__') continue;
      obj[key] = inner;
    }
    const inner = obj[key];
    const clean = storableAt(inner, depth + 1, maxDepth);
    if (clean !== inner) obj[key] = clean;
  }
  return v;
}

/** `\u0000` and a lone surrogate as JSON.stringify writes them (it escapes only lone surrogates), after an even run of backslashes. */
const BAD_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(0000|d[89a-f][0-9a-f]{2})/gi;

/** JSON text a jsonb column takes: JSON.stringify, then the two escapes Postgres refuses fixed in the text. */
export function storableJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined || !text.includes('\\u')) return text;
  return text.replace(BAD_ESCAPE, (_m, slashes: string, hex: string) => (hex === '0000' ? slashes : `${slashes}\\ufffd`));
}

const rawTexts = new WeakMap<object, string>();

/**
 * Remembers the text a parsed body came as, when that text is storable unchanged: with no `\u` escape
 * (the only way JSON text carries a NUL or a lone surrogate) and no `__proto__` key (dropped on the way
 * in), jsonb reads it as it reads storableJson of the parsed value. A batch's inbox payload is then the
 * received text, not the 400 KB stringified again (5.6% of the hub's CPU in an HTTP batch push).
 */
export function keepRawJson(value: unknown, text: string): void {
  if (value && typeof value === 'object' && !text.includes('\\u') && !text.includes('__proto__')) rawTexts.set(value, text);
}

/** storableJson of a parsed body: the text it was received as when keepRawJson kept it. */
export function bodyJson(value: unknown): string {
  return (value && typeof value === 'object' ? rawTexts.get(value) : undefined) ?? storableJson(value);
}
