/**
 * Blocking: a record is filed under several keys and compared only with records sharing one. The
 * union of keys catches what one key misses (a NIK typo, a missing birth date, a moved family); keys
 * are hashed to 32-bit numbers (a collision only adds a candidate, never loses one).
 */
import type { PreparedRecord } from './prepare.js';


/** FNV-1a over s[start, end), seeded with the key kind. */
function fnv(kind: number, s: string, start: number, end: number): number {
  let h = (0x811c9dc5 ^ kind) >>> 0;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** Folds a number (a birth year, a date) into the hash after a separator. */
function foldNumber(h: number, n: number): number {
  h ^= 0x3a;
  h = Math.imul(h, 0x01000193);
  h ^= n & 0xffff;
  h = Math.imul(h, 0x01000193);
  h ^= n >>> 16;
  return Math.imul(h, 0x01000193);
}

/** hashKey over s.slice(start, end), without making the slice. */
export function hashRange(kind: number, s: string, start: number, end: number, n: number): number {
  return (foldNumber(fnv(kind, s, start, end), n) >>> 2) & 0x3fffffff;
}

/**
 * FNV-1a over the string and an optional number, with the key kind folded in, cut to 30 bits so
 * V8 keeps map keys as small integers (a collision only adds a candidate).
 */
export function hashKey(kind: number, s: string, n = -1): number {
  const h = fnv(kind, s, 0, s.length);
  return ((n >= 0 ? foldNumber(h, n) : h) >>> 2) & 0x3fffffff;
}

const K = {
  nik: 1, nikNoSerial: 2, nikNoRegion: 3, kk: 4, date: 5, nameYear: 6, nameVillage: 7, nameOnly: 8, motherYear: 9,
  partYear: 10, partVillage: 11, initialDate: 12, dayMonthVillage: 13, nameDayMonth: 14, nameMother: 15, nameKk: 16,
  motherDayMonth: 17, addressDate: 18, namePostcode: 19, partPostcode: 20, streetPostcode: 21, datePostcode: 22,
  initialPostcode: 23, address: 24, nameLocality: 25, dateLocality: 26, partLocality: 27,
} as const;

/** Village codes all start with the kabupaten (1812): the rest fits a small integer. */
function villageNumber(code: string): number {
  return Number(code.slice(4));
}

/** Day and month in either order, so a swapped date lands in the same block. */
function unorderedDate(y: number, m: number, d: number): number {
  return y * 10000 + (m <= d ? m * 100 + d : d * 100 + m);
}

/**
 * Block keys of a record. Strong keys (NIK variants, full name with birth year or village) make
 * a candidate on their own; weak keys (birth date, KK, mother's name or one name part with birth year) only when a
 * second key agrees too, because alone they mostly bring siblings and strangers born the same day.
 */
export interface BlockKeys {
  keys: number[];
  /** 2 for a strong key, 1 for a weak one. */
  weights: number[];
}

/** A candidate needs this much key weight in common with the query. */
export const MIN_BLOCK_WEIGHT = 2;

/**
 * Keys a record is filed under and looked up by. Filing and lookup use the same keys; `forQuery`
 * is kept for callers that tell the two apart.
 */
export function blockKeys(p: PreparedRecord, _forQuery = false): BlockKeys {
  const out: BlockKeys = { keys: [], weights: [] };
  const name = p.name.phonJoined;
  if (p.nik?.digits) {
    const d = p.nik.digits;
    push(out, hashKey(K.nik, d), STRONG);
    // A NIK with a typo in its serial or region. Both halves mostly encode the birth date (and
    // serials start at 0001), so alone they mostly meet strangers born the same day: the name's
    // initial goes with them.
    const initial = name.length > 0 ? name.charCodeAt(0) : 0;
    push(out, hashRange(K.nikNoSerial, d, 0, 12, initial), STRONG);
    push(out, hashRange(K.nikNoRegion, d, 6, 16, initial), STRONG);
  } else if (p.rec.nik) {
    const nik = p.rec.nik.replace(/[\s.\-]/g, '');
    // A temporary NIK is unique within its village and stable across re-syncs.
    if (nik.length === 16 && nik[0] === '0' && !/^0+$/.test(nik)) push(out, hashKey(K.nik, nik), STRONG);
  }
  if (p.kk) push(out, hashKey(K.kk, p.kk), WEAK);
  const b = p.birthForGuards;
  if (p.birth) {
    const date = unorderedDate(p.birth.y, p.birth.m, p.birth.d);
    push(out, hashKey(K.date, '', date), WEAK);
    // With the date key, the initial and sex find "S. Rahayu" / "Sri Rahayu" and a dropped first part.
    // A record without sex is filed and looked up under both.
    if (name.length > 0) {
      if (p.sex !== 'F') push(out, hashKey(K.initialDate, name[0] + 'M', date), WEAK);
      if (p.sex !== 'M') push(out, hashKey(K.initialDate, name[0] + 'F', date), WEAK);
    }
  }
  if (name.length > 0) {
    const parts = p.name.distinctive;
    if (b) {
      push(out, hashKey(K.nameYear, name, b.y), STRONG);
      if (p.name.phonSorted !== null) push(out, hashKey(K.nameYear, p.name.phonSorted, b.y), STRONG);
      // A mistyped year keeps the day and month; neighbouring years would bring every namesake.
      push(out, hashKey(K.nameDayMonth, name, unorderedDate(0, b.m, b.d)), STRONG);
      for (const part of parts) push(out, hashKey(K.partYear, part, b.y), WEAK);
    }
    if (p.village) {
      const village = villageNumber(p.village);
      push(out, hashKey(K.nameVillage, name, village), STRONG);
      // A dropped or split part in the same village ("Siti Halizah" / "Siti Nurhaliza"); with the
      // day and month in the village it also survives a mistyped birth year.
      for (const part of parts) push(out, hashKey(K.partVillage, part, village), WEAK);
      if (p.birth) push(out, hashKey(K.dayMonthVillage, p.village, unorderedDate(0, p.birth.m, p.birth.d)), WEAK);
    }
    if (!b) push(out, hashKey(K.nameOnly, name), STRONG);
    // Without a birth date on one side (and a NIK that does not fit the other's), the name with
    // the mother's name or with the KK still finds the person in another village; namesakes with
    // the same mother or family are few, so these blocks stay small.
    if (p.mother) push(out, hashKey(K.nameMother, `${name}|${p.mother.phonJoined}`), STRONG);
    if (p.kk) push(out, hashKey(K.nameKk, `${name}|${p.kk}`), STRONG);
  }
  // Where people are told apart by where they live (an address, a postcode) rather than by a KK:
  // one address and one birth date is one person or twins, whatever the name says; the name
  // within a postcode survives a mistyped or missing date. The street without its numbers in a
  // postcode, with one name part there, finds a name and a date both mistyped (a dusun's RT and
  // RW in one postcode is a block too large to use, so Indonesian addresses add nothing there).
  // A block as large as a dusun's RT is dropped from lookups (the caps), so the address keys cost
  // Indonesian records little and find FEBRL's households of one.
  if (p.address) {
    if (p.birth) push(out, hashKey(K.addressDate, p.address, unorderedDate(p.birth.y, p.birth.m, p.birth.d)), STRONG);
    // With the postcode: a dusun's RT alone is a block lookups would walk only to find it too large.
    if (p.postcode) push(out, hashKey(K.address, `${p.address}|${p.postcode}`), WEAK);
  }
  if (p.postcode) {
    const pc = Number(p.postcode.slice(-9));
    if (name.length > 0) {
      push(out, hashKey(K.namePostcode, name, pc), STRONG);
      if (p.name.phonSorted !== null) push(out, hashKey(K.namePostcode, p.name.phonSorted, pc), STRONG);
      push(out, hashKey(K.initialPostcode, name[0] as string, pc), WEAK);
    }
    // One birth date in one postcode: a person, twins, or a stranger or two (a kecamatan's worth).
    if (p.birth) push(out, hashKey(K.datePostcode, p.postcode, unorderedDate(p.birth.y, p.birth.m, p.birth.d)), STRONG);
    for (const part of p.name.distinctive) push(out, hashKey(K.partPostcode, part, pc), WEAK);
    if (p.addressParts && p.addressParts.letters.length >= 4) push(out, hashKey(K.streetPostcode, p.addressParts.letters, pc), WEAK);
  }
  if (p.locality) {
    if (name.length > 0) push(out, hashKey(K.nameLocality, `${name}|${p.locality}`), STRONG);
    if (p.name.phonSorted !== null) push(out, hashKey(K.nameLocality, `${p.name.phonSorted}|${p.locality}`), STRONG);
    // A mistyped postcode keeps the suburb (or the dusun).
    if (p.birth) push(out, hashKey(K.dateLocality, p.locality, unorderedDate(p.birth.y, p.birth.m, p.birth.d)), STRONG);
    for (const part of p.name.distinctive) push(out, hashKey(K.partLocality, `${part}|${p.locality}`), WEAK);
  }
  if (p.mother && b) push(out, hashKey(K.motherYear, p.mother.phonJoined, b.y), WEAK);
  // A mover registered again with a typo in the name and the birth year wrong still has the same
  // mother and birthday; a mother's children rarely share a day and month across years.
  if (p.mother && p.birth) push(out, hashKey(K.motherDayMonth, p.mother.phonJoined, unorderedDate(0, p.birth.m, p.birth.d)), STRONG);
  return out;
}

export const STRONG_WEIGHT = 2;
const STRONG = STRONG_WEIGHT;
const WEAK = 1;

function push(out: BlockKeys, key: number, weight: number): void {
  out.keys.push(key);
  out.weights.push(weight);
}

export interface BlockIndexStats {
  blocks: number;
  oversizedBlocks: number;
}

/**
 * Hash key -> record numbers, in typed arrays (open addressing for the keys, a linked list of
 * entries per key) so 300k records with ~10 keys each cost tens of MB and no garbage collection.
 * A block that outgrows the cap is dropped from lookups for good (its entries stay, unused, until
 * the next rewrite).
 *
 * Most blocks hold one record (a NIK, a name with a birth date): such a block keeps its record in
 * its slot and takes no entry. Slots are two ints (key, head) filled up to three quarters, counts a
 * byte each: at 300k records this halves the index (measured 132 -> ~60 MB for the strong table).
 */
export class BlockIndex {
  /** Open-addressing table, two ints a slot: key (-1 empty) and head (see `first`). */
  private table: Int32Array;
  /** Records per block, capped at maxBlockSize + 1 (oversized). */
  private counts: Uint8Array | Uint16Array | Uint32Array;
  private slots = 0;
  /** Entries, two ints each (record number, next entry). */
  private entries: Int32Array;
  private entryCount = 0;
  private oversized = 0;
  /** Entry count at which the entries are next rewritten in block order. */
  private compactAt = 1 << 16;
  /** Entries in block order since the last rewrite (those added later are scattered). */
  private ordered = 0;
  /** Times the table grew: a slot found before is valid while this stays the same. */
  generation = 0;

  /**
   * `expectedBlocks` and `expectedEntries` size the tables for that many from the start (a batch
   * knows its size): each doubling rehashes the table or copies the entries. Entries count only
   * records in blocks of two or more.
   */
  constructor(private readonly maxBlockSize: number, expectedBlocks = 1 << 15, expectedEntries = expectedBlocks) {
    let slots = 16;
    while (slots * 3 < expectedBlocks * 4) slots *= 2;
    this.table = BlockIndex.emptyTable(slots);
    this.counts = this.emptyCounts(slots);
    this.entries = new Int32Array(Math.max(16, expectedEntries) * 2);
  }

  private static emptyTable(slots: number): Int32Array {
    return new Int32Array(slots * 2).fill(-1);
  }

  /** Counts reach maxBlockSize + 1, in the narrowest array that holds it (a configured cap may be large). */
  private emptyCounts(slots: number): Uint8Array | Uint16Array | Uint32Array {
    if (this.maxBlockSize < 255) return new Uint8Array(slots);
    return this.maxBlockSize < 65535 ? new Uint16Array(slots) : new Uint32Array(slots);
  }

  /** Slot of key in the table, or the empty slot where it would go. */
  private find(key: number): number {
    const t = this.table;
    const mask = t.length / 2 - 1;
    let i = Math.imul(key, 0x9e3779b1) & mask;
    for (;;) {
      const k = t[i * 2] as number;
      if (k === key || k === -1) return i;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    this.generation++;
    const old = this.table;
    const oldCounts = this.counts;
    const slots = old.length;
    this.table = BlockIndex.emptyTable(slots);
    this.counts = this.emptyCounts(slots);
    for (let i = 0; i < old.length / 2; i++) {
      const k = old[i * 2] as number;
      if (k === -1) continue;
      const j = this.find(k);
      this.table[j * 2] = k;
      this.table[j * 2 + 1] = old[i * 2 + 1] as number;
      this.counts[j] = oldCounts[i] as number;
    }
  }

  /** A new entry (record, next); the caller links it. */
  private entry(recNo: number, next: number): number {
    if (this.entryCount * 2 === this.entries.length) {
      const e = new Int32Array(this.entries.length * 2);
      e.set(this.entries);
      this.entries = e;
    }
    const e = this.entryCount++;
    this.entries[e * 2] = recNo;
    this.entries[e * 2 + 1] = next;
    return e;
  }

  add(key: number, recNo: number): void {
    this.addAt(key, recNo, -1, -1);
  }

  /**
   * add() with the slot `slotOf(key)` answered under `generation` (a lookup of the same record
   * just before): the slot is still the key's when the table has not grown and it holds the key
   * or is still empty (slots are never emptied), which saves probing the table again.
   */
  addAt(key: number, recNo: number, slot: number, generation: number): void {
    if ((this.slots + 1) * 4 > (this.table.length / 2) * 3) this.grow();
    if (this.entryCount + 2 > this.compactAt) {
      this.compact();
      // Rewrites at every doubling cost two passes over the entries in all (a load of 300k records
      // spends a tenth of its time here already at this rate).
      this.compactAt = Math.max(1 << 16, this.entryCount * 2);
    }
    const t = this.table;
    let i = slot;
    if (generation !== this.generation || slot < 0 || (t[slot * 2] !== key && t[slot * 2] !== -1)) i = this.find(key);
    const count = this.counts[i] as number;
    if (count === 0) {
      t[i * 2] = key;
      t[i * 2 + 1] = -recNo - 2;
      this.counts[i] = 1;
      this.slots++;
      return;
    }
    if (count > this.maxBlockSize) return;
    const head = t[i * 2 + 1] as number;
    if (this.recOf(head) === recNo) return;
    if (count === this.maxBlockSize) {
      this.counts[i] = count + 1;
      t[i * 2 + 1] = -1;
      this.oversized++;
      return;
    }
    t[i * 2 + 1] = this.entry(recNo, head < 0 ? this.entry(-head - 2, -1) : head);
    this.counts[i] = count + 1;
  }

  /**
   * Rewrites the entries so that each block's lie next to each other, newest first, and drops
   * those of oversized blocks. Entries are appended in arrival order, so without this a block walk
   * jumps across the whole array (a cache miss per entry); it runs each time the entries double.
   */
  compact(): void {
    const t = this.table;
    const old = this.entries;
    const out = new Int32Array(Math.max(old.length, 2));
    let n = 0;
    for (let i = 1; i < t.length; i += 2) {
      let e = t[i] as number;
      if (e < 0) continue;
      t[i] = n;
      while (e !== -1) {
        const next = old[e * 2 + 1] as number;
        out[n * 2] = old[e * 2] as number;
        out[n * 2 + 1] = next === -1 ? -1 : n + 1;
        n++;
        e = next;
      }
    }
    this.entries = out;
    this.entryCount = n;
    this.ordered = n;
  }

  /**
   * Rewrites the entries in block order when more than an eighth of them came after the last
   * rewrite: for an index that was filled in bulk (a hub loading its citizens) and is queried from
   * now on, where up to half the entries would otherwise be scattered until the next doubling.
   */
  tighten(): void {
    if ((this.entryCount - this.ordered) * 8 > this.entryCount) this.compact();
  }

  /**
   * First entry of the block for key, or -1 (none, or an oversized block). Walk with next()/recOf().
   * A block of one record answers its record as -(record + 2), which next() ends and recOf() reads.
   */
  first(key: number): number {
    return this.table[this.find(key) * 2 + 1] as number;
  }

  /** The slot of key (see addAt); `headAt` reads its block's first entry as first() does. */
  slotOf(key: number): number {
    return this.find(key);
  }

  headAt(slot: number): number {
    return this.table[slot * 2 + 1] as number;
  }

  next(entry: number): number {
    return entry < 0 ? -1 : (this.entries[entry * 2 + 1] as number);
  }

  recOf(entry: number): number {
    return entry < 0 ? -entry - 2 : (this.entries[entry * 2] as number);
  }

  stats(): BlockIndexStats {
    return { blocks: this.slots, oversizedBlocks: this.oversized };
  }
}
