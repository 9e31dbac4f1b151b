/**
 * Matching configuration: Fellegi–Sunter m/u probabilities per comparison level, thresholds, blocking
 * caps and guard limits. The defaults are calibrated on synthetic Tubaba data; `estimateParameters`
 * re-estimates m/u from a data set with EM, and the hub may load overrides from a config file.
 */
import type { FieldName } from './types.js';

export interface LevelProbability {
  /** P(level | same person) */
  m: number;
  /** P(level | different people) */
  u: number;
}

export type FieldLevels = Record<string, LevelProbability>;

export interface IdentityConfig {
  thresholds: {
    /** Total log2 weight at or above which a pair is linked automatically. */
    match: number;
    /** At or above this (and below match) a pair goes to human review. */
    possible: number;
  };
  fields: Record<FieldName, FieldLevels>;
  termFrequency: {
    enabled: boolean;
    /** Floor of the value-specific u, so a unique name does not outweigh everything else. */
    minU: number;
    /** Bounds of the adjusted name weight. */
    maxWeight: number;
    minWeight: number;
  };
  blocking: {
    /** Blocks of a strong key larger than this are not used for lookups (Muhammad, Siti, ...). */
    maxBlockSize: number;
    /** The same for weak keys (birth date, KK, one name part or mother with birth year). */
    maxWeakBlockSize: number;
    /** At most this many candidate records are compared for one query. */
    maxCandidates: number;
  };
  guards: {
    /** Same name, birth years at least this far apart: treat as parent and child. */
    parentChildMinYears: number;
    /** Auto-link only when both dates are known, or the NIKs or the mothers' names agree. */
    requireDateOrNik: boolean;
    /**
     * Auto-link only when names agree (up to a typo) and dates do not contradict, unless the NIKs
     * agree: household fields (KK, address, village, mother) alone would link siblings.
     */
    requireNameAndDate: boolean;
  };
  /** Best matches with review-level score reported per query. */
  maxPossiblePerRecord: number;
}

export const defaultIdentityConfig: IdentityConfig = {
  thresholds: { match: 16, possible: 11 },
  fields: {
    nik: {
      exact: { m: 0.8, u: 0.000002 },
      one_digit: { m: 0.04, u: 0.0005 },
      transposed: { m: 0.01, u: 0.0001 },
      different: { m: 0.05, u: 0.9995 },
      missing: { m: 1, u: 1 },
    },
    name: {
      exact: { m: 0.55, u: 0.0005 },
      phonetic: { m: 0.15, u: 0.0003 },
      close: { m: 0.12, u: 0.001 },
      partial: { m: 0.1, u: 0.004 },
      typo: { m: 0.06, u: 0.004 },
      similar: { m: 0.02, u: 0.02 },
      // Another given name under the same surname (or the reverse): a sibling as often as a clerk.
      one_part: { m: 0.01, u: 0.15 },
      different: { m: 0.02, u: 0.9705 },
      missing: { m: 1, u: 1 },
    },
    birthDate: {
      exact: { m: 0.84, u: 0.0004 },
      exact_placeholder: { m: 0.03, u: 0.004 },
      swapped: { m: 0.02, u: 0.0002 },
      year_off: { m: 0.02, u: 0.0005 },
      placeholder_year: { m: 0.02, u: 0.004 },
      one_part: { m: 0.04, u: 0.06 },
      different: { m: 0.03, u: 0.935 },
      missing: { m: 1, u: 1 },
    },
    sex: {
      agree: { m: 0.985, u: 0.5 },
      disagree: { m: 0.015, u: 0.5 },
      missing: { m: 1, u: 1 },
    },
    motherName: {
      agree: { m: 0.8, u: 0.002 },
      similar: { m: 0.1, u: 0.02 },
      different: { m: 0.1, u: 0.978 },
      missing: { m: 1, u: 1 },
    },
    kk: {
      same: { m: 0.45, u: 0.001 },
      different: { m: 0.55, u: 0.999 },
      missing: { m: 1, u: 1 },
    },
    village: {
      same: { m: 0.6, u: 0.015 },
      different: { m: 0.4, u: 0.985 },
      missing: { m: 1, u: 1 },
    },
    birthPlace: {
      agree: { m: 0.85, u: 0.2 },
      different: { m: 0.15, u: 0.8 },
      missing: { m: 1, u: 1 },
    },
    address: {
      similar: { m: 0.5, u: 0.05 },
      close: { m: 0.1, u: 0.005 },
      different: { m: 0.4, u: 0.945 },
      missing: { m: 1, u: 1 },
    },
    locality: {
      agree: { m: 0.85, u: 0.1 },
      different: { m: 0.15, u: 0.9 },
      missing: { m: 1, u: 1 },
    },
    postcode: {
      // A kabupaten has a postcode or two per kecamatan: agreement says little there, more elsewhere.
      same: { m: 0.9, u: 0.1 },
      different: { m: 0.1, u: 0.9 },
      missing: { m: 1, u: 1 },
    },
    religion: {
      agree: { m: 0.98, u: 0.85 },
      different: { m: 0.02, u: 0.15 },
      missing: { m: 1, u: 1 },
    },
    occupation: {
      agree: { m: 0.6, u: 0.25 },
      different: { m: 0.4, u: 0.75 },
      missing: { m: 1, u: 1 },
    },
  },
  termFrequency: { enabled: true, minU: 0.00002, maxWeight: 13, minWeight: 3 },
  blocking: { maxBlockSize: 200, maxWeakBlockSize: 50, maxCandidates: 30 },
  guards: { parentChildMinYears: 15, requireDateOrNik: true, requireNameAndDate: true },
  maxPossiblePerRecord: 3,
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function mergeDeep<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return base;
  if (typeof base !== 'object' || base === null) return (over as T) ?? base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = typeof b === 'object' && b !== null && typeof v === 'object' && v !== null ? mergeDeep(b, v as never) : v;
  }
  return out as T;
}

/** Defaults with overrides applied (overrides may be partial at any depth). */
export function resolveConfig(overrides?: DeepPartial<IdentityConfig>): IdentityConfig {
  return mergeDeep(defaultIdentityConfig, overrides);
}

/** log2(m/u) for every field level. */
export type WeightTable = Record<FieldName, Record<string, number>>;

export function weightTable(config: IdentityConfig): WeightTable {
  const out = {} as WeightTable;
  for (const [field, levels] of Object.entries(config.fields) as [FieldName, FieldLevels][]) {
    const w: Record<string, number> = {};
    for (const [level, p] of Object.entries(levels)) w[level] = Math.log2(p.m / p.u);
    out[field] = w;
  }
  return out;
}
