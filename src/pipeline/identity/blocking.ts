/**
 * Blocking: a record is filed under several keys and compared only with records sharing one. The
 * union of keys catches what one key misses (a NIK typo, a missing birth date, a moved family); keys
 * are hashed to 32-bit numbers (a collision only adds a candidate, never loses one).
 */
import { COMMON_NAME_PARTS } from './names.js';
import type { PreparedRecord } from './prepare.js';


/** FNV-1a, 32 bit, with the key kind folded in. */
export function hashKey(kind: number, s: string): number {
  let h = (0x811c9dc5 ^ kind) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const K = {
  nik: 1, nikNoSerial: 2, nikNoRegion: 3, kk: 4, date: 5, nameYear: 6, nameVillage: 7, nameOnly: 8, motherYear: 9,
  partYear: 10,
} as const;

/** Day and month in either order, so a swapped date lands in the same block. */
function unorderedDate(y: number, m: number, d: number): string {
  return m <= d ? `${y}:${m}:${d}` : `${y}:${d}:${m}`;
}

function distinctiveParts(p: PreparedRecord): string[] {
  const out: string[] = [];
  for (const t of p.name.phon) if (t.length >= 3 && !COMMON_NAME_PARTS.has(t) && out.indexOf(t) < 0) out.push(t);
  return out;
}

/**
 * Block keys of a record. Strong keys (NIK variants, name with birth year, village or mother) make
 * a candidate on their own; weak keys (birth date, KK, one name part with birth year) only when a
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
 * Keys a record is filed under; with `forQuery` also the neighbouring birth years of the name key,
 * so a year typo still meets its twin record.
 */
export function blockKeys(p: PreparedRecord, forQuery: boolean): BlockKeys {
  const keys: number[] = [];
  const weights: number[] = [];
  const strong = (k: number) => {
    keys.push(k);
    weights.push(2);
  };
  const weak = (k: number) => {
    keys.push(k);
    weights.push(1);
  };
  const nik = p.rec.nik ? p.rec.nik.replace(/[\s.\-]/g, '') : '';
  if (p.nik?.digits) {
    strong(hashKey(K.nik, p.nik.digits));
    strong(hashKey(K.nikNoSerial, p.nik.digits.slice(0, 12)));
    strong(hashKey(K.nikNoRegion, p.nik.digits.slice(6)));
  } else if (nik.length === 16 && nik[0] === '0' && !/^0+$/.test(nik)) {
    // A temporary NIK is unique within its village and stable across re-syncs.
    strong(hashKey(K.nik, nik));
  }
  if (p.kk) weak(hashKey(K.kk, p.kk));
  const b = p.birthForGuards;
  if (p.birth) weak(hashKey(K.date, unorderedDate(p.birth.y, p.birth.m, p.birth.d)));
  const name = p.name.phonJoined;
  if (name.length > 0) {
    if (b) {
      strong(hashKey(K.nameYear, `${name}:${b.y}`));
      if (forQuery) {
        strong(hashKey(K.nameYear, `${name}:${b.y - 1}`));
        strong(hashKey(K.nameYear, `${name}:${b.y + 1}`));
      }
      for (const part of distinctiveParts(p)) weak(hashKey(K.partYear, `${part}:${b.y}`));
    }
    if (p.village) strong(hashKey(K.nameVillage, `${name}:${p.village}`));
    if (!b) strong(hashKey(K.nameOnly, name));
  }
  if (p.mother && b) strong(hashKey(K.motherYear, `${p.mother.phonJoined}:${b.y}`));
  return { keys, weights };
}

export interface BlockIndexStats {
  blocks: number;
  oversizedBlocks: number;
}

/** Hash key -> record numbers; a block that outgrows the cap is dropped and never used again. */
export class BlockIndex {
  private readonly blocks = new Map<number, number[] | number>();
  private readonly oversized = new Set<number>();

  constructor(private readonly maxBlockSize: number) {}

  add(key: number, recNo: number): void {
    if (this.oversized.has(key)) return;
    const cur = this.blocks.get(key);
    if (cur === undefined) {
      this.blocks.set(key, recNo);
    } else if (typeof cur === 'number') {
      if (cur !== recNo) this.blocks.set(key, [cur, recNo]);
    } else {
      if (cur[cur.length - 1] === recNo) return;
      if (cur.length >= this.maxBlockSize) {
        this.blocks.delete(key);
        this.oversized.add(key);
        return;
      }
      cur.push(recNo);
    }
  }

  /** Calls fn for every record filed under key (none for an oversized block). */
  forEach(key: number, fn: (recNo: number) => void): void {
    const cur = this.blocks.get(key);
    if (cur === undefined) return;
    if (typeof cur === 'number') fn(cur);
    else for (let i = 0; i < cur.length; i++) fn(cur[i] as number);
  }

  stats(): BlockIndexStats {
    return { blocks: this.blocks.size, oversizedBlocks: this.oversized.size };
  }
}
