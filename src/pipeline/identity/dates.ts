/** Birth dates as registers write them, and how two of them compare. */

export interface YMD {
  y: number;
  m: number;
  d: number;
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const DMY = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  if (m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0)) return 29;
  return DAYS[m - 1] ?? 0;
}

export function isValidYmd(y: number, m: number, d: number): boolean {
  return y >= 1850 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/** The digit at s[i], or NaN. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

/** Parses YYYY-MM-DD, and d-m-Y as OpenSID's Gabungan API sends it; null when not a real date. */
export function parseDate(s: string | null | undefined): YMD | null {
  if (!s) return null;
  if (s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    // YYYY-MM-DD as databases write it, without the regular expression's match array.
    const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
    const m = digit(s, 5) * 10 + digit(s, 6);
    const d = digit(s, 8) * 10 + digit(s, 9);
    // A character that is not a digit (NaN) leaves it to the general path below.
    if (y === y && m === m && d === d) return isValidYmd(y, m, d) ? { y, m, d } : null;
  }
  const t = s.trim();
  let y: number;
  let m: number;
  let d: number;
  let r = ISO.exec(t);
  if (r) {
    y = Number(r[1]);
    m = Number(r[2]);
    d = Number(r[3]);
  } else {
    r = DMY.exec(t);
    if (!r) return null;
    d = Number(r[1]);
    m = Number(r[2]);
    y = Number(r[3]);
  }
  return isValidYmd(y, m, d) ? { y, m, d } : null;
}

export function formatYmd(v: YMD): string {
  return `${v.y}-${String(v.m).padStart(2, '0')}-${String(v.d).padStart(2, '0')}`;
}

/**
 * Dates that registration staff type when the real one is unknown: 1 January, 1 July and
 * 31 December. Agreement on them says little.
 */
export function isPlaceholderDate(v: YMD): boolean {
  return placeholder(v.m, v.d);
}

export type DateLevel =
  | 'exact'
  | 'exact_placeholder'
  | 'swapped'
  | 'year_off'
  | 'one_part'
  | 'placeholder_year'
  | 'different'
  | 'missing';

/**
 * exact; exact_placeholder (equal but a placeholder date); swapped (day and month exchanged);
 * year_off (same day and month, year one apart); placeholder_year (one side is a placeholder in the
 * same year); one_part (two of day, month, year agree: a typo in the third); different; missing.
 */
export function compareDates(a: YMD | null, b: YMD | null): DateLevel {
  if (!a || !b) return 'missing';
  return compareYmd(a.y, a.m, a.d, b.y, b.m, b.d);
}

function placeholder(m: number, d: number): boolean {
  return (m === 1 && d === 1) || (m === 7 && d === 1) || (m === 12 && d === 31);
}

/** compareDates on the parts of two known dates. */
export function compareYmd(ay: number, am: number, ad: number, by: number, bm: number, bd: number): Exclude<DateLevel, 'missing'> {
  if (ay === by && am === bm && ad === bd) return placeholder(am, ad) ? 'exact_placeholder' : 'exact';
  if (ay === by && am === bd && ad === bm) return 'swapped';
  if (am === bm && ad === bd && Math.abs(ay - by) === 1) return placeholder(am, ad) ? 'placeholder_year' : 'year_off';
  if (ay === by && (placeholder(am, ad) || placeholder(bm, bd))) return 'placeholder_year';
  if (ay === by && (am === bm || ad === bd)) return 'one_part';
  if (am === bm && ad === bd) return 'one_part';
  return 'different';
}
