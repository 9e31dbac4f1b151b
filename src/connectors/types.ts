import type { ResidentInput } from '../pipeline/intake/residents.js';
import type { SessionStore } from './sessions.js';
import type { RequestBudget } from './requestBudget.js';

/** A source as the sync engine reads it from the sources table. */
export interface SourceRow {
  id: string;
  villageCode: string | null;
  kecamatanCode: string | null;
  connector: string;
  enabled: boolean;
  settings: Record<string, unknown>;
}

/**
 * Where a pull stands: the next page to fetch, and of which stream (residents when unset, so cursors
 * stored before there were streams still read). Stored in sources.cursor.
 */
export interface Cursor {
  page: number;
  stream?: 'permohonan';
  /** Re-read passes over an offset-paged listing after its total moved (0 or unset: the first pass). */
  pass?: number;
}

/**
 * A citizen's service request as a village system holds it, before the hub has resolved its applicant
 * or checked it: the sync stores it as a registration (externalId `permohonan-<id>`).
 */
export interface PulledRegistration {
  externalId: string;
  /** The catalogue service its letter type maps to in the source's settings; null when unmapped. */
  serviceCode: string | null;
  /** The letter type as the village names it, for the operator who has to map it. */
  letter: string;
  cancelled: boolean;
  submittedAt: string | null;
  /** What the village says about the applicant; the hub resolves it against the village's residents. */
  pemohon: { residentId: string | null; nik: string | null; name: string | null; phone: string | null };
  /** The item as received. */
  raw: unknown;
}

export interface Page {
  residents: ResidentInput[];
  /** Service requests (connectors that pull them); absent means none on this page. */
  registrations?: PulledRegistration[];
  /** The cursor after this page, or null when it was the last. */
  next: Cursor | null;
  /**
   * Offset-paged listings (JSON:API `meta.pagination`): the total the server counted for this page and
   * each resident's item id, so the run drops repeats and checks what it got against the total.
   */
  listing?: { total: number; perPage: number; keys: string[] };
}

/** Settings every pull connector shares: timeouts, politeness and retries. */
export interface CommonSettings {
  timeoutMs: number;
  minPageIntervalMs: number;
  attempts: number;
  backoffMs: number;
  pagesPerJob: number;
}

/** What the hub lends a connector: the login tokens and the request budgets every process shares. */
export interface ConnectorEnv { sessions: SessionStore; budget: RequestBudget }

export interface Connector<S extends CommonSettings = CommonSettings> {
  /** ajv schema of source.settings; secrets carry writeOnly: true and never leave the hub. */
  settingsSchema: object;
  /** Where a run without a stored cursor starts (the settings are checked). */
  firstCursor(settings: S): Cursor;
  /**
   * Catalogue service codes the settings name, with where (a JSON pointer below settings): checked
   * against config/services.json when the config is loaded. Reads unchecked settings defensively.
   */
  serviceCodes?(settings: Record<string, unknown>): { pointer: string; code: string }[];
  /** Can the hub reach the server and log in. */
  check(source: SourceRow, settings: S, env: ConnectorEnv): Promise<{ detail: string }>;
  fetchPage(source: SourceRow, settings: S, cursor: Cursor, env: ConnectorEnv): Promise<Page>;
}

/**
 * Why a pull failed, with a stable code. Retryable failures (network, timeouts, 5xx, broken pages) are
 * retried with backoff; the others end the run at once (a refused login must not be repeated: the
 * Gabungan server blocks a user after five).
 */
export class SyncError extends Error {
  /** `retryAfterMs`: the server said when to come back (a 429's Retry-After). */
  constructor(readonly code: string, message: string, readonly retryable: boolean, readonly retryAfterMs?: number) {
    super(`${code}: ${message}`);
  }
}

export const commonSettingsProperties = {
  timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000, default: 30_000 },
  minPageIntervalMs: { type: 'integer', minimum: 0, maximum: 600_000, default: 250 },
  attempts: { type: 'integer', minimum: 1, maximum: 20, default: 5 },
  backoffMs: { type: 'integer', minimum: 10, maximum: 600_000, default: 2000 },
  /** Consecutive pages fetched by one job and committed together (the cursor moves past all of them). */
  pagesPerJob: { type: 'integer', minimum: 1, maximum: 20, default: 1 },
} as const;
