import { sql } from 'drizzle-orm';
import {
  bigint, boolean, char, date, index, integer, jsonb, pgTable, real, smallint, text, timestamp, uniqueIndex, varchar,
} from 'drizzle-orm/pg-core';

const id = () => integer('id').primaryKey().generatedAlwaysAsIdentity();
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** Villages' systems and the connectors that reach them (config/sources.json is mirrored here). */
export const sources = pgTable('sources', {
  id: varchar('id', { length: 64 }).primaryKey(),
  name: text('name'),
  villageCode: char('village_code', { length: 10 }),
  kecamatanCode: char('kecamatan_code', { length: 6 }),
  connector: varchar('connector', { length: 32 }).notNull(),
  enabled: boolean('enabled').notNull().default(true),
  schedule: text('schedule'),
  settings: jsonb('settings').notNull().default({}),
  /** Where the next pull starts; advanced only after a page's records are committed. */
  cursor: jsonb('cursor'),
  lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
  lastError: text('last_error'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * The bearer token of one login account on a village or kabupaten server (login URL + user), shared by
 * every source and hub process using it: the Gabungan server deletes a user's older tokens at each
 * login. Never returned by the API or logged.
 */
export const loginSessions = pgTable('login_sessions', {
  account: text('account').primaryKey(),
  token: text('token'),
  obtainedAt: timestamp('obtained_at', { withTimezone: true }),
  /** Refused logins since the window began: the Gabungan server blocks a user after five in ten minutes. */
  failures: integer('failures').notNull().default(0),
  firstFailureAt: timestamp('first_failure_at', { withTimezone: true }),
});

/** Bearer keys; only a SHA-256 of the secret is kept. Scope: one village, kecamatan or agency. */
export const apiKeys = pgTable('api_keys', {
  id: id(),
  keyHash: char('key_hash', { length: 64 }).notNull().unique(),
  /** First characters of the key, shown so a person can tell keys apart. */
  keyPrefix: varchar('key_prefix', { length: 16 }).notNull(),
  role: varchar('role', { length: 16 }).notNull(), // village | kecamatan | agency | admin | opendk
  villageCode: char('village_code', { length: 10 }),
  kecamatanCode: char('kecamatan_code', { length: 6 }),
  agencyCode: varchar('agency_code', { length: 32 }),
  label: text('label'),
  createdAt: createdAt(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/** Every accepted submission, raw, before anything is derived from it; idempotency lives here. */
export const inbox = pgTable('inbox', {
  id: id(),
  channel: varchar('channel', { length: 16 }).notNull(), // push | opendk | import | pull
  kind: varchar('kind', { length: 16 }).notNull(), // registration | resident | deletion
  villageCode: char('village_code', { length: 10 }),
  apiKeyId: integer('api_key_id'),
  sourceId: varchar('source_id', { length: 64 }),
  idempotencyKey: varchar('idempotency_key', { length: 128 }),
  recordCount: integer('record_count').notNull(),
  payload: jsonb('payload').notNull(),
  /** The answer given, replayed verbatim for a repeated Idempotency-Key. */
  response: jsonb('response'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('inbox_idempotency_uq').on(t.apiKeyId, t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`),
]);

/** Records that failed validation, kept with their raw payload and errors until fixed and replayed. */
export const quarantine = pgTable('quarantine', {
  id: id(),
  inboxId: integer('inbox_id').references(() => inbox.id),
  kind: varchar('kind', { length: 16 }).notNull(),
  villageCode: char('village_code', { length: 10 }),
  externalId: varchar('external_id', { length: 64 }),
  payload: jsonb('payload').notNull(),
  errors: jsonb('errors').notNull(),
  status: varchar('status', { length: 16 }).notNull().default('open'), // open | replayed | discarded
  createdAt: createdAt(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
}, (t) => [index('quarantine_village_idx').on(t.villageCode, t.status)]);

/** One service registration; status: accepted → validated → identified → routed | held | quarantined. */
export const registrations = pgTable('registrations', {
  id: id(),
  inboxId: integer('inbox_id').references(() => inbox.id),
  villageCode: char('village_code', { length: 10 }).notNull(),
  externalId: varchar('external_id', { length: 64 }).notNull(),
  serviceCode: varchar('service_code', { length: 48 }).notNull(),
  submittedAt: timestamp('submitted_at', { withTimezone: true }),
  applicant: jsonb('applicant').notNull(),
  details: jsonb('details'),
  status: varchar('status', { length: 16 }).notNull().default('accepted'),
  errors: jsonb('errors'),
  warnings: jsonb('warnings'),
  citizenId: integer('citizen_id'),
  identity: varchar('identity', { length: 16 }), // confirmed | provisional
  routeAgency: varchar('route_agency', { length: 32 }),
  routeLevel: varchar('route_level', { length: 16 }),
  routeKecamatan: char('route_kecamatan', { length: 6 }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('registrations_village_external_uq').on(t.villageCode, t.externalId),
  // Only records still moving are indexed by status (the recovery sweep's lookup); finished ones drop out.
  index('registrations_inflight_idx').on(t.status, t.updatedAt).where(sql`${t.status} in ('accepted', 'validated', 'identified')`),
  index('registrations_citizen_idx').on(t.citizenId),
]);

/** The master record of a person, counted once across all villages (the golden record). */
export const citizens = pgTable('citizens', {
  id: id(),
  nik: char('nik', { length: 16 }),
  kk: char('kk', { length: 16 }),
  fullName: text('full_name').notNull(),
  sex: char('sex', { length: 1 }),
  birthDate: date('birth_date'),
  birthPlace: text('birth_place'),
  motherName: text('mother_name'),
  address: text('address'),
  villageCode: char('village_code', { length: 10 }),
  /** Set when merged into another citizen; the row stays so a split can undo it. */
  mergedInto: integer('merged_into'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  index('citizens_nik_idx').on(t.nik),
  index('citizens_village_idx').on(t.villageCode),
]);

/** Every source record linked to a citizen, with the decision that linked it. */
export const citizenRecords = pgTable('citizen_records', {
  id: id(),
  citizenId: integer('citizen_id').notNull().references(() => citizens.id),
  recordKind: varchar('record_kind', { length: 16 }).notNull(), // registration | resident
  recordId: integer('record_id').notNull(),
  villageCode: char('village_code', { length: 10 }),
  link: varchar('link', { length: 16 }).notNull(), // match | possible | new | manual
  score: real('score'),
  evidence: jsonb('evidence'),
  createdAt: createdAt(),
  /**
   * Set by a trigger whenever citizen_id changes (a reviewer's merge or split, a record identified
   * again): a number from citizen_record_moves, increasing, and the citizen the record left. The
   * identify stage's in-memory index replays these moves instead of reloading every record.
   */
  movedSeq: bigint('moved_seq', { mode: 'number' }),
  movedFrom: integer('moved_from'),
}, (t) => [
  uniqueIndex('citizen_records_record_uq').on(t.recordKind, t.recordId),
  index('citizen_records_citizen_idx').on(t.citizenId),
  index('citizen_records_moved_idx').on(t.movedSeq).where(sql`moved_seq is not null`),
]);

/** A suspected duplicate for kecamatan staff to decide. */
export const reviewCases = pgTable('review_cases', {
  id: id(),
  kecamatanCode: char('kecamatan_code', { length: 6 }).notNull(),
  recordKind: varchar('record_kind', { length: 16 }).notNull(),
  recordId: integer('record_id').notNull(),
  citizenId: integer('citizen_id').notNull(),
  candidateCitizenId: integer('candidate_citizen_id').notNull(),
  score: real('score'),
  evidence: jsonb('evidence'),
  status: varchar('status', { length: 16 }).notNull().default('open'), // open | same | different
  decidedBy: text('decided_by'),
  decidedAt: timestamp('decided_at', { withTimezone: true }),
  reason: text('reason'),
  createdAt: createdAt(),
}, (t) => [
  index('review_cases_kecamatan_idx').on(t.kecamatanCode, t.status),
  uniqueIndex('review_cases_record_uq').on(t.recordKind, t.recordId, t.candidateCitizenId),
  // Identify asks whether two citizens already wait for a decision about each other.
  index('review_cases_open_pair_idx').on(t.citizenId, t.candidateCitizenId).where(sql`status = 'open'`),
]);

/** Agency queue items: `kab:<agency>` or `kec:<kecamatan>:<agency>`, claimed with SKIP LOCKED. */
export const deliveries = pgTable('deliveries', {
  id: id(),
  registrationId: integer('registration_id').notNull().references(() => registrations.id),
  agencyCode: varchar('agency_code', { length: 32 }).notNull(),
  level: varchar('level', { length: 16 }).notNull(),
  kecamatanCode: char('kecamatan_code', { length: 6 }),
  queue: varchar('queue', { length: 64 }).notNull(),
  status: varchar('status', { length: 16 }).notNull().default('waiting'), // waiting | claimed | acked | withdrawn
  claimedBy: integer('claimed_by'),
  leaseUntil: timestamp('lease_until', { withTimezone: true }),
  attempts: smallint('attempts').notNull().default(0),
  createdAt: createdAt(),
  ackedAt: timestamp('acked_at', { withTimezone: true }),
  /** The village cancelled the registration after the agency had claimed it; the item keeps its status. */
  cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('deliveries_registration_uq').on(t.registrationId),
  index('deliveries_queue_idx').on(t.queue, t.status, t.id),
  index('deliveries_cancelled_idx').on(t.agencyCode, t.id).where(sql`${t.cancelledAt} is not null`),
]);

/** One scheduled or manual pull of a source. */
export const syncRuns = pgTable('sync_runs', {
  id: id(),
  sourceId: varchar('source_id', { length: 64 }).notNull().references(() => sources.id),
  trigger: varchar('trigger', { length: 16 }).notNull(), // schedule | manual
  status: varchar('status', { length: 16 }).notNull().default('running'), // running | succeeded | failed
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  pages: integer('pages').notNull().default(0),
  recordsAccepted: integer('records_accepted').notNull().default(0),
  recordsQuarantined: integer('records_quarantined').notNull().default(0),
  cursorFrom: jsonb('cursor_from'),
  cursorTo: jsonb('cursor_to'),
  error: text('error'),
}, (t) => [index('sync_runs_source_idx').on(t.sourceId, t.startedAt)]);

/** Who did what to which record; staff reads of personal data are written here too. */
export const auditLog = pgTable('audit_log', {
  id: id(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  actor: text('actor').notNull(),
  action: varchar('action', { length: 48 }).notNull(),
  targetType: varchar('target_type', { length: 32 }),
  targetId: text('target_id'),
  regionCode: varchar('region_code', { length: 10 }),
  detail: jsonb('detail'),
}, (t) => [index('audit_log_target_idx').on(t.targetType, t.targetId)]);

/**
 * A village's population record as its own system knows it, keyed by the village's resident id
 * (OpenSID `id`, OpenDK `id_pend_desa`): resending changes nothing, a NIK correction updates in place.
 */
export const residentRecords = pgTable('resident_records', {
  id: id(),
  villageCode: char('village_code', { length: 10 }).notNull(),
  localId: varchar('local_id', { length: 40 }).notNull(),
  nik: char('nik', { length: 16 }),
  kk: char('kk', { length: 16 }),
  fullName: text('full_name').notNull(),
  sex: char('sex', { length: 1 }),
  birthDate: date('birth_date'),
  birthPlace: text('birth_place'),
  motherName: text('mother_name'),
  fatherName: text('father_name'),
  address: text('address'),
  dusun: text('dusun'),
  rt: varchar('rt', { length: 10 }),
  rw: varchar('rw', { length: 10 }),
  religion: smallint('religion'),
  maritalStatus: smallint('marital_status'),
  familyRole: smallint('family_role'),
  occupation: smallint('occupation'),
  education: smallint('education'),
  /** OpenSID status_dasar: 1 hidup, 2 mati, 3 pindah, 4 hilang, 6 pergi, 9 tidak valid. */
  statusDasar: smallint('status_dasar').notNull().default(1),
  /** active | dead | moved | missing | gone | invalid | deleted */
  state: varchar('state', { length: 16 }).notNull().default('active'),
  /** Everything else the source sent, kept as it came. */
  extra: jsonb('extra'),
  warnings: jsonb('warnings'),
  /** Hash of the normalized content: an unchanged resend is recognised without comparing fields. */
  contentHash: char('content_hash', { length: 40 }).notNull(),
  channel: varchar('channel', { length: 16 }).notNull(),
  sourceId: varchar('source_id', { length: 64 }),
  /** The submission that first brought the record; each later change is in resident_history with its own. */
  inboxId: integer('inbox_id'),
  /** Pipeline position: accepted → identified. */
  status: varchar('status', { length: 16 }).notNull().default('accepted'),
  citizenId: integer('citizen_id'),
  sourceUpdatedAt: timestamp('source_updated_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('resident_records_village_local_uq').on(t.villageCode, t.localId),
  index('resident_records_inflight_idx').on(t.status, t.updatedAt).where(sql`${t.status} = 'accepted'`),
  index('resident_records_citizen_idx').on(t.citizenId),
]);

/** What changed in a resident record and through which submission: nothing is overwritten without a trace. */
export const residentHistory = pgTable('resident_history', {
  id: id(),
  residentId: integer('resident_id').notNull().references(() => residentRecords.id),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  change: varchar('change', { length: 16 }).notNull(), // updated | state | deleted | restored (creation is the record's own row)
  /** Changed fields: { field: [before, after] }. */
  diff: jsonb('diff'),
  inboxId: integer('inbox_id'),
}, (t) => [index('resident_history_resident_idx').on(t.residentId, t.at)]);

/**
 * Matching parameters learned from the population (m and u per comparison level), one row per
 * estimation: the identify stage uses the newest, and earlier rows say which values a past
 * decision was made with.
 */
export const identityParameterSets = pgTable('identity_parameter_sets', {
  id: id(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /** Who or what estimated: "command:identity-params", "schedule", a staff id. */
  createdBy: text('created_by').notNull(),
  reason: text('reason'),
  records: integer('records').notNull(),
  /** False when the population was too small and the hand values were kept. */
  learned: boolean('learned').notNull(),
  /** IdentityConfig['fields']: m and u per field level. */
  fields: jsonb('fields').notNull(),
  /** Lambda, pairs used, iterations, per-level report. */
  summary: jsonb('summary').notNull(),
});
