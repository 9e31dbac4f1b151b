/**
 * Indonesian personal names: strip titles and degrees, unify the spellings that denote one name
 * (Muhammad/Moh./M., Siti/St., Abdul/Abd., pre-1972 spelling), and build a phonetic key that treats
 * ahmad/achmad/akhmad as one name but keeps salim and saleh apart.
 */

/** Honorifics and academic/religious titles written before a name. */
const LEADING_TITLES = new Set([
  'h', 'hj', 'haji', 'hajah', 'hajjah', 'drs', 'dra', 'ir', 'dr', 'drg', 'prof', 'kh', 'kyai', 'kiai',
  'ust', 'ustadz', 'ustad', 'ustazah', 'ny', 'nyonya', 'tn', 'tuan', 'sdr', 'sdri', 'bpk', 'bapak', 'ibu',
  'bu', 'pak', 'almarhum', 'alm', 'almh', 'almarhumah', 'hc',
  // Titles of birth written before the name in Java, Palembang and Aceh (registers keep or drop them).
  'raden', 'kms', 'kemas', 'kgs', 'kiagus', 'mgs', 'masagus', 'nyimas', 'teuku', 'tengku',
]);

/** Degrees written after a name, compared with dots and spaces removed. */
const DEGREES = new Set([
  'spd', 'spdi', 'spdsd', 'se', 'sh', 'shi', 'skom', 'sag', 'ssos', 'sip', 'st', 'sp', 'ssi', 'skep', 'sked',
  'skm', 'sfarm', 'shut', 'spt', 'sth', 'ssy', 'spsi', 'sds', 'sstp', 'stp', 'sak', 'sei', 'sh', 'ssn',
  'sikom', 'sgz', 'sst', 'str', 'sth', 'stptk', 'amd', 'ama', 'amdkeb', 'amdkep', 'amdkes', 'amdfarm', 'amk',
  'amdpd', 'apt', 'mpd', 'mpdi', 'msi', 'mm', 'mh', 'mkes', 'mag', 'mt', 'mkom', 'me', 'msc', 'ma', 'mba',
  'mhum', 'mkm', 'msos', 'mip', 'map', 'phd', 'ners', 'bsc', 'ba', 'spog', 'spa', 'sppd', 'mpdsd', 'lc',
  'dipl', 'ing', 'ssit', 'sa', 'sadm', 'sip', 'skg', 'sked', 'ssosi', 'sthi', 'sesy', 'ns', 'gr', 'strkes', 'strkeb',
  'strkep', 'strt', 'strak', 'strpar', 'strsos', 'strikom', 'mkep', 'mfarm', 'meng', 'mak', 'mpsi', 'mhi', 'mesy', 'mkn',
]);

/** Written after a name but not part of it: the deceased (Alm./Almh.). */
const TRAILING_MARKS = new Set(['alm', 'almh', 'almarhum', 'almarhumah']);

/**
 * Start an alias ("Budi Santoso als Bejo") or, in Lampung, an adat title ("Ahmad Rusli gelar
 * Pangeran Ratu"): the name is what comes before.
 */
const ALIAS = new Set(['als', 'alias', 'gelar', 'glr']);

/**
 * Balinese names: I (male) / Ni (female), then birth order, caste and sex parts. Registers drop the
 * I/Ni and abbreviate the parts ("Ni Md. Sukarini", "I Wyn Suarta", "I Gst Ngurah").
 */
const BALI_BIRTH_ORDER = new Set(['wayan', 'made', 'nyoman', 'ketut', 'putu', 'gede', 'kadek', 'komang', 'nengah', 'luh', 'gusti']);
const BALI_ABBREVIATIONS = new Map([
  ['wyn', 'wayan'], ['md', 'made'], ['nym', 'nyoman'], ['nyn', 'nyoman'], ['kt', 'ketut'], ['ktt', 'ketut'], ['pt', 'putu'],
  ['gd', 'gede'], ['kd', 'kadek'], ['kdk', 'kadek'], ['kmg', 'komang'], ['gst', 'gusti'], ['ngr', 'ngurah'], ['dw', 'dewa'],
  ['agg', 'agung'], ['ag', 'agung'],
]);

/** Spellings that all denote Muhammad when written as a separate name part. */
const MUHAMMAD = new Set([
  'muhammad', 'muhamad', 'muhammed', 'muhamed', 'mohammad', 'mohamad', 'mohammed', 'mohamed', 'mochammad',
  'mochamad', 'mokhammad', 'mokhamad', 'muchammad', 'muchamad', 'mukhammad', 'mukhamad', 'moch', 'mokh',
  'moh', 'muh', 'mhd', 'mhmd', 'md', 'mohd', 'muhd', 'mochamat', 'muhamat', 'muhammat', 'mohamat',
]);

/** Tokens so common in Indonesian names that they say little about identity on their own. */
export const COMMON_NAME_PARTS = new Set([
  'muhammad', 'siti', 'nur', 'sri', 'abdul', 'ahmad', 'dwi', 'tri', 'eka', 'dewi', 'putri', 'putra', 'nurul',
  'ni', 'i', 'made', 'nyoman', 'ketut', 'wayan', 'gede', 'kadek', 'komang', 'putu', 'luh', 'ayu', 'dian',
  'indah', 'rahmat', 'agus', 'budi', 'wahyu',
]);

const PATRONYMIC = new Set(['bin', 'binti', 'bt', 'bte', 'binte']);

const OLD_SPELLING = /oe|dj|tj|sj|nj/;
const OLD_J = /(^|[^dtsn])j/g;

/** Rewrites pre-1972 (Van Ophuijsen / Soewandi) spelling to EYD. Applied to lower-case letters only. */
export function modernSpelling(s: string): string {
  // Nothing to rewrite without a j, oe or ch (most names): skip the six passes below.
  if (s.indexOf('j') < 0 && s.indexOf('oe') < 0 && s.indexOf('ch') < 0) return s;
  // Where the old spelling shows (oe, dj, tj, sj, nj), its j is today's y: Tjahjo = Cahyo, Soerjo = Suryo.
  const old = OLD_SPELLING.test(s);
  return (old ? s.replace(OLD_J, '$1y') : s)
    .replace(/oe/g, 'u')
    .replace(/dj/g, 'j')
    .replace(/tj/g, 'c')
    .replace(/sj/g, 'sy')
    .replace(/nj/g, 'ny')
    .replace(/ch/g, 'kh');
}

function isDegreeToken(raw: string): boolean {
  const bare = raw.replace(/[.\s]/g, '');
  if (bare.length === 0) return true;
  return DEGREES.has(bare) || TRAILING_MARKS.has(bare);
}

/**
 * After a comma, a dotted abbreviation in the shape of an Indonesian degree is a degree even when
 * the list above lacks it: Sarjana, Ahli Madya, Doktor, or a three-part Magister ("S.Tr.Kes",
 * "A.Md.Kes", "M.Pd.I"). "A.R." (initials) and "M.Ali" do not have that shape.
 */
function isDegreeSegment(part: string): boolean {
  const t = part.trim();
  if (t.length === 0) return true;
  if (isDegreeToken(t)) return true;
  if (t.split(/\s+/).every((w) => isDegreeToken(w))) return true;
  const segs = t.replace(/\s+/g, '').split('.').filter((x) => x.length > 0);
  if (segs.length < 2 || !t.includes('.')) return false;
  const first = segs[0] as string;
  if (!(first === 's' || first === 'a' || first === 'd' || (first === 'm' && segs.length >= 3))) return false;
  return (segs[1] as string).length >= 2 && segs.every((x) => x.length <= 4 && /^[a-z]+$/.test(x));
}

export interface NameParts {
  /** Canonical tokens of the name, without titles, degrees or the bin/binti part. */
  tokens: string[];
  /** The father's name given after bin/binti, if any. */
  patronym: string | null;
}

/** Letters and single spaces only: most names from SIAK and OpenSID, which skip the slow path. */
const PLAIN_NAME = /^[A-Za-z]+(?: [A-Za-z]+)*$/;

/**
 * Whether nameParts reads `raw` word by word (letters and single spaces only). Such a name of k words
 * has at most k parts (tokens plus patronym words): no step of nameParts splits a word.
 */
export function isPlainName(raw: string): boolean {
  return PLAIN_NAME.test(raw);
}

/** Splits a raw name into canonical tokens. */
export function nameParts(raw: string): NameParts {
  if (PLAIN_NAME.test(raw)) return plainNameParts(raw.toLowerCase().split(' '), true);
  let s = raw.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  // A remark in parentheses is not part of the name: "Budi Santoso (Alm)", "Siti (Bejo)".
  if (s.includes('(')) {
    const bare = s.replace(/\([^)]*\)?/g, ' ');
    if (/[a-z]/.test(bare)) s = bare;
  }
  // Degrees usually follow a comma: "Budi Santoso, S.Pd., M.Pd", "SITI AMINAH, S. PD".
  const commaParts = s.split(',');
  if (commaParts.length > 1) {
    const head = commaParts[0] ?? '';
    const tail = commaParts.slice(1);
    s = tail.every(isDegreeSegment) ? head : commaParts.join(' ');
  }
  // Remove apostrophes inside words (Ma'ruf), then split on anything that is not a letter.
  const words = s.replace(/['`’‘]/g, '').split(/\s+/).filter((w) => w.length > 0);
  // Trailing degrees written without a comma: "Budi Santoso S.Pd.I".
  while (words.length > 1) {
    const last = words[words.length - 1] ?? '';
    if ((last.includes('.') || last.length <= 5) && isDegreeToken(last)) words.pop();
    else break;
  }
  const tokens: string[] = [];
  for (const w of words) {
    for (const piece of w.split(/[^a-z]+/)) if (piece.length > 0) tokens.push(piece);
  }
  return plainNameParts(tokens, false);
}

/**
 * The rest of nameParts, on lower-case letter-only words (modified in place); `dropDegrees` for
 * words that did not go through the degree removal above.
 */
function plainNameParts(tokens: string[], dropDegrees: boolean): NameParts {
  // Degrees written without dots at the end: "Budi Santoso SPd".
  while (tokens.length > 1) {
    const last = tokens[tokens.length - 1] as string;
    if ((dropDegrees && last.length <= 5 && DEGREES.has(last)) || TRAILING_MARKS.has(last)) tokens.pop();
    else break;
  }
  // Leading titles: "Hj. Siti", "Drs. H. Ahmad".
  while (tokens.length > 1 && LEADING_TITLES.has(tokens[0] ?? '')) tokens.shift();
  // Balinese: drop I/Ni (often left out, and a mistyped "I Wyan" must still agree with "Wayan") and
  // expand abbreviated parts ("Ni Md. Sukarini").
  let bali = false;
  if (tokens.length >= 2 && (tokens[0] === 'i' || tokens[0] === 'ni')) {
    bali = true;
    tokens.shift();
    // "Ni Luh" is the female marker whole: "Ni Luh Putu Ayu" is "Ni Putu Ayu".
    if (tokens.length >= 2 && (tokens[0] as string) === 'luh') tokens.shift();
  } else if (tokens.length >= 3 && tokens[0] === 'luh' && BALI_BIRTH_ORDER.has(tokens[1] as string)) {
    // "Luh Putu Ayu", the Ni left out.
    bali = true;
    tokens.shift();
  } else if (tokens.length >= 2) {
    // Written joined: "Iwayan", "NINYOMAN".
    const first = tokens[0] as string;
    const rest = first.startsWith('ni') ? first.slice(2) : first.startsWith('i') ? first.slice(1) : '';
    if (BALI_BIRTH_ORDER.has(rest)) {
      bali = true;
      tokens[0] = rest;
    }
  }
  const out: string[] = [];
  let patronym: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const raw0 = tokens[i] ?? '';
    if (ALIAS.has(raw0) && out.length > 0 && i < tokens.length - 1) break;
    if (PATRONYMIC.has(raw0) && out.length > 0 && i < tokens.length - 1) {
      patronym = tokens.slice(i + 1).map((t) => canonicalToken(t, false)).join(' ');
      break;
    }
    const hasNext = i < tokens.length - 1;
    const baliPart = bali && hasNext ? BALI_ABBREVIATIONS.get(raw0) : undefined;
    out.push(baliPart ?? canonicalToken(raw0, hasNext));
  }
  return { tokens: out.length > 0 ? out : tokens.map((t) => canonicalToken(t, false)), patronym };
}

/**
 * Unifies one name part; `hasNext` is true when another part follows, where "M." and "St." are abbreviations.
 * Names reuse a small vocabulary of parts (Siti, Nur, Agus, ...): each part is unified once.
 */
function canonicalToken(t0: string, hasNext: boolean): string {
  if (hasNext && (t0 === 'm' || t0 === 'st')) return t0 === 'm' ? 'muhammad' : 'siti';
  const cached = canonicalCache.get(t0);
  if (cached !== undefined) return cached;
  const t = computeCanonicalToken(t0);
  if (canonicalCache.size >= TOKEN_CACHE_LIMIT) canonicalCache.clear();
  canonicalCache.set(t0, t);
  return t;
}

/** canonicalToken of a part that is not followed by another. */
function computeCanonicalToken(t0: string): string {
  const t = modernSpelling(t0);
  if (MUHAMMAD.has(t)) return 'muhammad';
  if (t === 'siti' || t === 'sitti') return 'siti';
  if (t === 'abd' || t === 'abdul' || t === 'abdoel' || t === 'abdol') return 'abdul';
  if (t === 'noor' || t === 'nor' || t === 'nurr') return 'nur';
  return t;
}

/** Canonical, space-separated form of a name ("H. Moch. Soeharto, S.Pd" -> "muhammad suharto"). */
export function normalizeName(raw: string): string {
  return nameParts(raw).tokens.join(' ');
}

/**
 * Indonesian phonetic key of one name part. Rules, in order: EYD spelling; kh/ch -> h; q -> k;
 * z -> j; v/f/ph -> p (Sundanese and Javanese speakers write Arif/Arip, Fitri/Pitri); th/dh -> t/d;
 * sy/sh/ts -> s; iya -> ia; ie -> i; drop h unless it starts the part or stands between vowels (ahmad = amad
 * = achmad, fatimah = fatima); vowels e->i and o->u (Slamet/Slamat stays apart but Saleh/Salih,
 * Joko/Juku agree); y after a consonant -> i; doubled letters collapse.
 */
export function phoneticToken(token: string): string {
  const cached = phoneticCache.get(token);
  if (cached !== undefined) return cached;
  const key = computePhoneticToken(token);
  if (phoneticCache.size >= TOKEN_CACHE_LIMIT) phoneticCache.clear();
  phoneticCache.set(token, key);
  return key;
}

/**
 * Whole names: the index keeps every record's NameInfo anyway, so a cache as large as a kabupaten's
 * population costs little more (and records with the same name share one NameInfo).
 */
const CACHE_LIMIT = 1_000_000;
/**
 * Name parts repeat endlessly in a population (Siti, Nur, Agus, ...): each part is unified and keyed
 * once. Distinct parts are a few tens of thousands even in a kabupaten, so this bound is rarely met;
 * a cache is per process and only saves work (a cleared cache computes the same values again).
 */
const TOKEN_CACHE_LIMIT = 200_000;
const canonicalCache = new Map<string, string>();
const phoneticCache = new Map<string, string>();
const nameInfoCache = new Map<string, NameInfo>();

/** a, i, u, e or o (the VOWEL class) at s[i]; false past either end. */
function vowelAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 97 || c === 105 || c === 117 || c === 101 || c === 111;
}

/**
 * The rules in order, each pass skipped when its pattern cannot occur (most parts need only a few):
 * a pass that finds nothing returns its input unchanged, so skipping it changes no key.
 */
function computePhoneticToken(token: string): string {
  let s = modernSpelling(token);
  if (s.indexOf('kh') >= 0) s = s.replace(/kh/g, 'h');
  if (s.indexOf('q') >= 0) s = s.replace(/q/g, 'k');
  if (s.indexOf('x') >= 0) s = s.replace(/x/g, 'ks');
  if (s.indexOf('z') >= 0) s = s.replace(/z/g, 'j');
  if (s.indexOf('ph') >= 0) s = s.replace(/ph/g, 'p');
  if (s.indexOf('f') >= 0 || s.indexOf('v') >= 0) s = s.replace(/[fv]/g, 'p');
  if (s.indexOf('th') >= 0) s = s.replace(/th/g, 't');
  if (s.indexOf('dh') >= 0) s = s.replace(/dh/g, 'd');
  if (s.indexOf('sy') >= 0 || s.indexOf('sh') >= 0 || s.indexOf('ts') >= 0) s = s.replace(/sy|sh|ts/g, 's');
  // "iya" and "ia" are written either way: Supriyadi/Supriadi, Qomariyah/Komariah, Kurniyawan.
  if (s.indexOf('iya') >= 0) s = s.replace(/iya/g, 'ia');
  if (s.indexOf('ie') >= 0) s = s.replace(/ie/g, 'i');
  if (s.indexOf('ey') >= 0 || s.endsWith('ay')) s = s.replace(/ey|ay$/g, (m) => (m === 'ey' ? 'i' : 'ai'));
  // Abdul assimilates before sun letters: Abdul Rahman = Abdurrahman, Abdul Salam = Abdussalam.
  if (s.indexOf('abdul') >= 0) s = s.replace(/abdul(?=[dnrstjl])/g, 'abdu');
  let out = '';
  let last = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // h (104) is dropped unless it starts the part or stands between vowels.
    if (c === 104 && i > 0 && !(vowelAt(s, i - 1) && vowelAt(s, i + 1))) continue;
    let d = c;
    if (d === 101) d = 105; // e -> i
    else if (d === 111) d = 117; // o -> u
    else if (d === 121 && i > 0 && !vowelAt(s, i - 1) && !vowelAt(s, i + 1)) d = 105; // y -> i
    if (d === last) continue;
    out += String.fromCharCode(d);
    last = d;
  }
  return out;
}

/** Phonetic key of a whole name: phonetic parts joined by spaces. */
export function phoneticKey(raw: string): string {
  return nameParts(raw).tokens.map(phoneticToken).join(' ');
}

/** Everything the comparator needs about a name, computed once per record. */
export interface NameInfo {
  raw: string;
  tokens: string[];
  phon: string[];
  /** Canonical tokens joined without spaces: "Nur Hayati" and "Nurhayati" agree. */
  joined: string;
  /** Phonetic key of the joined canonical tokens (the same however the name is split). */
  phonJoined: string;
  /** The same key with the parts in sorted order, or null when sorting does not change it. */
  phonSorted: string | null;
  /**
   * Phonetic keys of the parts that say something about identity (not Siti, Muhammad, ...), also of
   * what follows a common prefix written joined (Nurhaliza -> haliza), for blocking.
   */
  distinctive: string[];
  patronym: string | null;
}

/** Common parts often written joined to the next one: Nurhaliza = Nur Haliza, Sriwahyuni = Sri Wahyuni. */
const JOINED_PREFIXES = ['muhammad', 'nurul', 'siti', 'abdul', 'nur', 'sri', 'dwi', 'tri', 'eka'];

function isCommon(token: string, phon: string): boolean {
  return COMMON_NAME_PARTS.has(token) || COMMON_NAME_PARTS.has(phon);
}

function addPart(out: string[], k: string): void {
  if (k.length >= 3 && out.indexOf(k) < 0) out.push(k);
}

function distinctiveParts(tokens: string[], phon: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    const k = phon[i] as string;
    if (!isCommon(t, k)) addPart(out, k);
    for (const prefix of JOINED_PREFIXES) {
      if (t.length - prefix.length >= 4 && t.startsWith(prefix)) {
        const rest = t.slice(prefix.length);
        const rk = phoneticToken(rest);
        if (!isCommon(rest, rk)) addPart(out, rk);
        break;
      }
    }
  }
  return out;
}

function sortedKey(tokens: string[], phon: string[], phonJoined: string): string | null {
  let sorted = true;
  for (let i = 1; i < phon.length && sorted; i++) if ((phon[i - 1] as string) > (phon[i] as string)) sorted = false;
  if (sorted) return null;
  // Insertion sort of the part numbers by phonetic key: names have a handful of parts.
  const order: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    let j = order.length;
    while (j > 0 && (phon[order[j - 1] as number] as string) > (phon[i] as string)) j--;
    order.splice(j, 0, i);
  }
  let joined = '';
  for (const i of order) joined += tokens[i] as string;
  const key = computePhoneticToken(joined);
  return key === phonJoined ? null : key;
}

/** Name details for comparison; cached by the raw string (treat the result as read-only). */
export function nameInfo(raw: string): NameInfo {
  const cached = nameInfoCache.get(raw);
  if (cached !== undefined) return cached;
  const { tokens, patronym } = nameParts(raw);
  const phon = tokens.map(phoneticToken);
  const joined = tokens.join('');
  // Keyed on the joined letters, not the joined part keys: "h" is dropped inside a part but kept
  // at its start, so Nurhaliza and Nur Haliza would otherwise get different keys.
  // Nearly every name has its own: computed, not cached (a cache of them would crowd out the parts).
  const phonJoined = tokens.length === 1 ? (phon[0] as string) : computePhoneticToken(joined);
  // Arrays built by push keep room for 17 elements (152 bytes); an index holds one name per
  // citizen, so the kept ones are copied to their length (about 12 MB less per 100k records).
  const info: NameInfo = {
    raw, tokens: tokens.slice(), phon, joined, phonJoined, phonSorted: sortedKey(tokens, phon, phonJoined),
    distinctive: distinctiveParts(tokens, phon).slice(), patronym,
  };
  if (nameInfoCache.size >= CACHE_LIMIT) nameInfoCache.clear();
  nameInfoCache.set(raw, info);
  return info;
}
