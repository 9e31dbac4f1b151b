/**
 * Who may see what, by region: one rule for a machine key (src/api/keys.ts) and a staff session
 * (src/staff). A scope is a role with a village, a kecamatan and/or an agency; the kabupaten admin
 * sees everything. Callers ask these functions, never compare codes themselves.
 */
import type { HubConfig } from '../config/load.js';

export type ScopeRole = 'village' | 'kecamatan' | 'agency' | 'admin' | 'opendk';

export interface Scope {
  role: ScopeRole;
  villageCode: string | null;
  kecamatanCode: string | null;
  agencyCode: string | null;
}

/** The villages a scope may read or write: its village, its kecamatan's villages, or (admin) all. */
export function villageScope(s: Scope, config: Pick<HubConfig, 'villages'>): Set<string> | null {
  if (s.role === 'admin') return null;
  if (s.villageCode) return new Set([s.villageCode]);
  const kec = s.kecamatanCode ?? '-';
  return new Set([...config.villages.keys()].filter((v) => v.startsWith(kec)));
}

/** The kecamatan whose review cases, sources and citizens a scope reaches; null means every kecamatan. */
export function kecamatanScope(s: Scope): string | null {
  if (s.role === 'admin') return null;
  // A scope without a kecamatan (an agency of the kabupaten) reaches none: '-' matches no code.
  return s.kecamatanCode ?? '-';
}

/** Whether a record of this region (village or kecamatan code) is inside the scope. */
export function regionInScope(s: Scope, region: string | null): boolean {
  if (s.role === 'admin') return true;
  if (!region) return false;
  if (s.villageCode) return region === s.villageCode;
  return s.kecamatanCode !== null && region.startsWith(s.kecamatanCode);
}

/** The agency queue a scope works: its agency and, for a kecamatan desk, its kecamatan. */
export function agencyScope(s: Scope, agency: string): { allowed: boolean; kecamatan: string | null } {
  if (s.role === 'admin') return { allowed: true, kecamatan: null };
  if (s.role !== 'agency' || s.agencyCode !== agency) return { allowed: false, kecamatan: null };
  return { allowed: true, kecamatan: s.kecamatanCode };
}

/** The region code prefix a scope's records start with: its village, its kecamatan, or null (everything). */
export function regionPrefix(s: Scope): string | null {
  if (s.role === 'admin') return null;
  return s.villageCode ?? s.kecamatanCode ?? '-';
}
