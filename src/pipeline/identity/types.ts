/** A citizen record as the identity engine sees it: every field but id and fullName may be missing. */
export interface PersonRecord {
  id: string;
  fullName: string;
  nik?: string | null;
  kk?: string | null;
  sex?: 'M' | 'F' | null;
  /** YYYY-MM-DD */
  birthDate?: string | null;
  birthPlace?: string | null;
  motherName?: string | null;
  /** Street address as written (OpenSID: alamat with RT/RW). */
  address?: string | null;
  /** The named place below the village: a dusun, a suburb. */
  locality?: string | null;
  /** Kode pos (5 digits in Indonesia; any digits elsewhere). */
  postcode?: string | null;
  /** 10 digits, e.g. 1812012002 */
  villageCode?: string | null;
  religion?: string | null;
  occupation?: string | null;
}

export type Outcome = 'match' | 'possible' | 'distinct';

export type FieldName =
  | 'nik'
  | 'name'
  | 'birthDate'
  | 'sex'
  | 'motherName'
  | 'kk'
  | 'village'
  | 'birthPlace'
  | 'address'
  | 'locality'
  | 'postcode'
  | 'religion'
  | 'occupation';

/** One field's part of a decision: what was compared, how it compared, and the log2 likelihood ratio it added. */
export interface FieldEvidence {
  field: FieldName;
  a: string | null;
  b: string | null;
  level: string;
  weight: number;
  /** Set when the weight was adjusted for how common the value is. */
  note?: string;
}

export type GuardName =
  | 'nik_conflict'
  | 'twins'
  | 'parent_child'
  | 'cluster_inconsistent';

export interface GuardHit {
  guard: GuardName;
  reason: string;
  /** The record the guard fired against. */
  recordId: string;
}

export interface Evidence {
  fields: FieldEvidence[];
  score: number;
  guards: GuardHit[];
}

export interface PairDecision {
  a: string;
  b: string;
  outcome: Outcome;
  score: number;
  evidence: Evidence;
}
