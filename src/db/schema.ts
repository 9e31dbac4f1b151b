import { sql } from 'drizzle-orm';
import {
  bigint, boolean, char, date, index, integer, json, jsonb, pgTable, primaryKey, real, smallint, text, timestamp, uniqueIndex, varchar,
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
  /** After this the key is refused like a revoked one; null: no end. */
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  /** Last accepted request, to the minute: KeyStore flushes it from memory, off the request path. */
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
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
  /** The body as received: json (text, checked), not jsonb; nothing queries into it (migration 0028). */
  payload: json('payload').notNull(),
  /** The answer given, replayed verbatim for a repeated Idempotency-Key. */
  response: jsonb('response'),
  /** SHA-1 of the request body: an Idempotency-Key reused with another body is refused, not replayed. */
  requestHash: char('request_hash', { length: 40 }),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('inbox_idempotency_uq').on(t.apiKeyId, t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`),
  // The console's Sumber data: when a village last sent anything.
  index('inbox_village_received_idx').on(t.villageCode, t.receivedAt),
]);

/** Records that failed validation, kept with their raw payload and errors until fixed and replayed. */
export const quarantine = pgTable('quarantine', {
  id: id(),
  // References inbox(id), checked per statement by triggers (migrations 0022, 0024), not a per-row foreign key.
  inboxId: integer('inbox_id'),
  kind: varchar('kind', { length: 16 }).notNull(),
  villageCode: char('village_code', { length: 10 }),
  externalId: varchar('external_id', { length: 64 }),
  payload: jsonb('payload').notNull(),
  errors: jsonb('errors').notNull(),
  status: varchar('status', { length: 16 }).notNull().default('open'), // open | replayed | discarded
  createdAt: createdAt(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
}, (t) => [
  index('quarantine_village_idx').on(t.villageCode, t.status),
  index('quarantine_open_payload_idx').on(t.kind, sql`md5(${t.payload}::text)`).where(sql`${t.status} = 'open'`),
]);

/** One service registration; status: accepted → validated → identified → routed | held | quarantined. */
export const registrations = pgTable('registrations', {
  id: id(),
  // References inbox(id), checked per statement by triggers (migrations 0022, 0024), not a per-row foreign key.
  inboxId: integer('inbox_id'),
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
  /** Times the recovery sweep sent the record back to its stage (its job lost or failed for good). */
  redrives: smallint('redrives').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('registrations_village_external_uq').on(t.villageCode, t.externalId),
  // Only records still moving are indexed by status (the recovery sweep's lookup); finished ones drop out.
  index('registrations_inflight_idx').on(t.status, t.updatedAt).where(sql`${t.status} in ('accepted', 'validated', 'identified')`),
  // Linked records only: a record waits for identify without a citizen (migration 0027).
  index('registrations_citizen_idx').on(t.citizenId).where(sql`${t.citizenId} is not null`),
  // The village systems' feed: what changed in a village since a moment.
  index('registrations_village_updated_idx').on(t.villageCode, t.updatedAt, t.id),
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
  // The console's Warga search: by KK, and by the start of a name.
  index('citizens_kk_idx').on(t.kk),
  index('citizens_name_prefix_idx').using('btree', sql`lower(${t.fullName}) text_pattern_ops`),
]);

/** Every source record linked to a citizen, with the decision that linked it. */
export const citizenRecords = pgTable('citizen_records', {
  id: id(),
  // References citizens(id), checked per statement by triggers (migration 0024), not a per-row foreign key.
  citizenId: integer('citizen_id').notNull(),
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
  // References registrations(id), checked per statement by triggers (migration 0024), not a per-row foreign key.
  registrationId: integer('registration_id').notNull(),
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
  /** Push: the webhook endpoint that takes this item; null while the item is pulled. */
  pushEndpointId: integer('push_endpoint_id'),
  pushState: varchar('push_state', { length: 16 }), // pending | sending | delivered | failed
  pushAttempts: smallint('push_attempts').notNull().default(0),
  /** Raised by a manual redelivery of a delivered item, so its webhook-id is new and the receiver takes it again. */
  pushGeneration: smallint('push_generation').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
  /** A sender holds the item until then; past it (the process died) another sender takes it over. */
  pushLeaseUntil: timestamp('push_lease_until', { withTimezone: true }),
  firstAttemptAt: timestamp('first_attempt_at', { withTimezone: true }),
  lastError: varchar('last_error', { length: 48 }),
  /** The agency's answer: diterima | diproses | selesai | ditolak. */
  answerStatus: varchar('answer_status', { length: 16 }),
  answerDocumentNumber: varchar('answer_document_number', { length: 100 }),
  answerReason: text('answer_reason'),
  answeredAt: timestamp('answered_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('deliveries_registration_uq').on(t.registrationId),
  index('deliveries_queue_idx').on(t.queue, t.status, t.id),
  index('deliveries_cancelled_idx').on(t.agencyCode, t.id).where(sql`${t.cancelledAt} is not null`),
  index('deliveries_push_unassigned_idx').on(t.agencyCode, t.id).where(sql`status = 'waiting' AND push_state IS NULL`),
  index('deliveries_push_due_idx').on(t.pushEndpointId, t.nextAttemptAt).where(sql`push_state IN ('pending', 'sending')`),
  index('deliveries_push_failed_idx').on(t.pushEndpointId, t.id).where(sql`push_state = 'failed'`),
]);

/** Where an agency (optionally one kecamatan's office) or a village system takes pushed items, signed per Standard Webhooks. */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: id(),
  kind: varchar('kind', { length: 16 }).notNull(), // agency | village
  agencyCode: varchar('agency_code', { length: 32 }),
  /** Null: every kecamatan of the agency without an endpoint of its own. */
  kecamatanCode: char('kecamatan_code', { length: 6 }),
  villageCode: char('village_code', { length: 10 }),
  url: text('url').notNull(),
  /** whsec_<base64>; kept in the clear because signing needs it. */
  secret: text('secret').notNull(),
  /** After a rotation the old secret also signs until previous_secret_until, so receivers can switch without a gap. */
  previousSecret: text('previous_secret'),
  previousSecretUntil: timestamp('previous_secret_until', { withTimezone: true }),
  maxInFlight: smallint('max_in_flight').notNull().default(16),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('webhook_endpoints_agency_uq').on(t.agencyCode, sql`coalesce(${t.kecamatanCode}, '')`).where(sql`kind = 'agency'`),
  uniqueIndex('webhook_endpoints_village_uq').on(t.villageCode).where(sql`kind = 'village'`),
]);

/** One POST to an endpoint: outcome, response code and latency; never the body either way. */
export const webhookAttempts = pgTable('webhook_attempts', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  endpointId: integer('endpoint_id').notNull(),
  deliveryId: integer('delivery_id'),
  eventId: bigint('event_id', { mode: 'number' }),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  outcome: varchar('outcome', { length: 16 }).notNull(), // delivered | failed
  responseCode: smallint('response_code'),
  latencyMs: integer('latency_ms').notNull(),
  error: varchar('error', { length: 48 }),
}, (t) => [
  index('webhook_attempts_endpoint_idx').on(t.endpointId, t.id),
  index('webhook_attempts_delivery_idx').on(t.deliveryId).where(sql`delivery_id IS NOT NULL`),
]);

/** A registration's progress at its agency (diterima → diproses → selesai | ditolak), pushed on to the village when it has an endpoint. */
export const registrationEvents = pgTable('registration_events', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  registrationId: integer('registration_id').notNull(),
  deliveryId: integer('delivery_id'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  status: varchar('status', { length: 16 }).notNull(),
  documentNumber: varchar('document_number', { length: 100 }),
  reason: text('reason'),
  actor: text('actor').notNull(),
  channel: varchar('channel', { length: 16 }).notNull(), // api | webhook
  villageCode: char('village_code', { length: 10 }).notNull(),
  pushState: varchar('push_state', { length: 16 }),
  pushAttempts: smallint('push_attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
  pushLeaseUntil: timestamp('push_lease_until', { withTimezone: true }),
  firstAttemptAt: timestamp('first_attempt_at', { withTimezone: true }),
}, (t) => [
  index('registration_events_registration_idx').on(t.registrationId, t.id),
  index('registration_events_push_due_idx').on(t.villageCode, t.nextAttemptAt).where(sql`push_state IN ('pending', 'sending')`),
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
  /** Rows the run received, each counted once (a listing's repeats under offset paging left out). */
  recordsReceived: integer('records_received').notNull().default(0),
  /** What the run saw of an offset-paged listing: totals at start and end, passes, re-reads (RunPaging). */
  paging: jsonb('paging'),
  /** Why a finished run needs a person's eye: `CODE: reason` (ZERO_ROWS, ROWS_MISSING, ...). */
  warning: text('warning'),
}, (t) => [index('sync_runs_source_idx').on(t.sourceId, t.startedAt), index('sync_runs_source_id_idx').on(t.sourceId, t.id)]);

/** Listing items a running run has received (unlogged; emptied when the run ends). */
export const syncRunItems = pgTable('sync_run_items', {
  runId: integer('run_id').notNull(),
  itemKey: text('item_key').notNull(),
}, (t) => [primaryKey({ name: 'sync_run_items_pk', columns: [t.runId, t.itemKey] })]);

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
  /** The staff user (console session) who acted; null for machine keys and the pipeline. */
  userId: integer('user_id'),
}, (t) => [
  index('audit_log_target_idx').on(t.targetType, t.targetId),
  index('audit_log_region_idx').on(t.regionCode, t.id),
  index('audit_log_user_idx').on(t.userId, t.id).where(sql`${t.userId} is not null`),
]);

/**
 * A village's population record as its own system knows it, keyed by the village's resident id
 * (OpenSID `id`, OpenDK `id_pend_desa`): resending changes nothing, a NIK correction updates in place.
 */
export const residentRecords = pgTable('resident_records', {
  id: id(),
  villageCode: char('village_code', { length: 10 }).notNull(),
  localId: varchar('local_id', { length: 40 }).notNull(),
  nik: char('nik', { length: 16 }),
  /** An OpenSID temporary NIK (0 + kode_desa + sequence): what the village calls the person until a real NIK is issued; never matched on. */
  temporaryNik: varchar('temporary_nik', { length: 16 }),
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
  /** What validation flagged without refusing the record (NIK not fitting the birth date or sex...). */
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
  /** Times the recovery sweep sent the record back to identify (its job lost or failed for good). */
  redrives: smallint('redrives').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('resident_records_village_local_uq').on(t.villageCode, t.localId),
  index('resident_records_inflight_idx').on(t.status, t.updatedAt).where(sql`${t.status} = 'accepted'`),
  index('resident_records_citizen_idx').on(t.citizenId).where(sql`${t.citizenId} is not null`),
]);

/**
 * The outcome of OpenSID's last population upload per token, until the deletions call that follows it
 * (the only answer OpenSID shows its admin) has carried it.
 */
export const opendkUploads = pgTable('opendk_uploads', {
  id: id(),
  apiKeyId: integer('api_key_id').notNull(),
  villageCode: char('village_code', { length: 10 }),
  inboxId: integer('inbox_id'),
  outcome: jsonb('outcome').notNull(),
  createdAt: createdAt(),
  reportedAt: timestamp('reported_at', { withTimezone: true }),
}, (t) => [index('opendk_uploads_unreported_idx').on(t.apiKeyId, t.createdAt).where(sql`reported_at is null`)]);

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
 * People who use the console (separate from machine API keys). role: admin (kabupaten) | kecamatan |
 * instansi (an agency, optionally one kecamatan) | tiyuh (one village). Only an argon2id hash is kept.
 */
export const staffUsers = pgTable('staff_users', {
  id: id(),
  username: varchar('username', { length: 64 }).notNull(),
  fullName: text('full_name').notNull(),
  role: varchar('role', { length: 16 }).notNull(),
  villageCode: char('village_code', { length: 10 }),
  kecamatanCode: char('kecamatan_code', { length: 6 }),
  agencyCode: varchar('agency_code', { length: 32 }),
  passwordHash: text('password_hash').notNull(),
  /** Set for a new account and after a reset: the one-time password must be replaced at the next login. */
  mustChangePassword: boolean('must_change_password').notNull().default(true),
  failedLogins: integer('failed_logins').notNull().default(0),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
}, (t) => [uniqueIndex('staff_users_username_uq').using('btree', sql`lower(${t.username})`)]);

/** A console login; the cookie holds a random token, only its SHA-256 is kept here. */
export const staffSessions = pgTable('staff_sessions', {
  id: char('id', { length: 64 }).primaryKey(),
  userId: integer('user_id').notNull().references(() => staffUsers.id),
  createdAt: createdAt(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  address: varchar('address', { length: 64 }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [index('staff_sessions_user_idx').on(t.userId)]);

/** Failed console logins per client address, so guessing across many accounts is slowed too. */
export const staffLoginThrottle = pgTable('staff_login_throttle', {
  address: varchar('address', { length: 64 }).primaryKey(),
  failures: integer('failures').notNull().default(0),
  windowStart: timestamp('window_start', { withTimezone: true }).notNull().defaultNow(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
});

/** Citizens and villages whose figures changed since the stats refresher last ran (filled by triggers, migration 0015). */
// The dirty marks have no key: a writer's mark must never wait on the refresher (migration 0025); repeats are read once.
export const statsDirtyCitizens = pgTable('stats_dirty_citizens', { citizenId: integer('citizen_id').notNull() });
export const statsDirtyVillages = pgTable('stats_dirty_villages', { villageCode: char('village_code', { length: 10 }).notNull() });

/** One row per living citizen (counted once, where the golden record places them): the facts the figures are summed from. */
export const statsPeople = pgTable('stats_people', {
  citizenId: integer('citizen_id').primaryKey(),
  villageCode: char('village_code', { length: 10 }).notNull(),
  kk: char('kk', { length: 16 }),
  sex: char('sex', { length: 1 }),
  birthDate: date('birth_date'),
  pregnant: boolean('pregnant').notNull(),
  hasNik: boolean('has_nik').notNull(),
}, (t) => [index('stats_people_village_idx').on(t.villageCode), index('stats_people_village_birth_idx').on(t.villageCode, t.birthDate),
  index('stats_people_kk_idx').on(t.kk).where(sql`kk is not null`)]);

/** Per-village figures, recomputed for the villages a refresh touched. */
export const statsVillage = pgTable('stats_village', {
  villageCode: char('village_code', { length: 10 }).primaryKey(),
  residents: integer('residents').notNull(),
  records: integer('records').notNull(),
  duplicates: integer('duplicates').notNull(),
  households: integer('households').notNull(),
  children0to23m: integer('children_0_23m').notNull(),
  children0to59m: integer('children_0_59m').notNull(),
  pregnant: integer('pregnant').notNull(),
  women15to49: integer('women_15_49').notNull(),
  withoutNik: integer('without_nik').notNull(),
  recordsWithWarnings: integer('records_with_warnings').notNull(),
  lastReceivedAt: timestamp('last_received_at', { withTimezone: true }),
  asOf: timestamp('as_of', { withTimezone: true }).notNull(),
  /** Families (KK) with a child under five living here, and of those the ones any aid enrolment names (migration 0016). */
  familiesChildU5: integer('families_child_u5').notNull().default(0),
  familiesChildU5Aided: integer('families_child_u5_aided').notNull().default(0),
});

/** The population pyramid: living residents by village, sex and five-year age group (-1 unknown, 15 = 75+). */
export const statsVillageAge = pgTable('stats_village_age', {
  villageCode: char('village_code', { length: 10 }).notNull(),
  sex: char('sex', { length: 1 }).notNull(),
  ageGroup: smallint('age_group').notNull(),
  residents: integer('residents').notNull(),
});

export const statsState = pgTable('stats_state', {
  id: smallint('id').primaryKey().default(1),
  /** The date ages were computed for; a new day recomputes every village's age figures. */
  agesAsOf: date('ages_as_of'),
  refreshedAt: timestamp('refreshed_at', { withTimezone: true }),
  rebuiltAt: timestamp('rebuilt_at', { withTimezone: true }),
  /** Config's exclusive program groups the double-enrolment table was built with; a change rebuilds it. */
  aidGroups: text('aid_groups'),
});

/** An aid program (OpenSID Program Bantuan) as one village runs it; program_key groups the same program across villages. */
export const aidPrograms = pgTable('aid_programs', {
  id: id(),
  villageCode: char('village_code', { length: 10 }).notNull(),
  localId: varchar('local_id', { length: 40 }).notNull(),
  name: text('name').notNull(),
  programKey: varchar('program_key', { length: 64 }).notNull(),
  /** OpenSID sasaran: 1 penduduk, 2 keluarga, 3 rumah tangga, 4 kelompok. */
  target: smallint('target'),
  description: text('description'),
  startDate: date('start_date'),
  endDate: date('end_date'),
  active: boolean('active'),
  funding: text('funding'),
  channel: varchar('channel', { length: 16 }).notNull(),
  inboxId: integer('inbox_id'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [uniqueIndex('aid_programs_village_local_uq').on(t.villageCode, t.localId)]);

/** One enrolment in a village's program, linked to a citizen where the hub can (link = none is listed, never dropped). */
export const aidParticipants = pgTable('aid_participants', {
  id: id(),
  villageCode: char('village_code', { length: 10 }).notNull(),
  localId: varchar('local_id', { length: 40 }).notNull(),
  programLocalId: varchar('program_local_id', { length: 40 }).notNull(),
  participantRef: varchar('participant_ref', { length: 40 }),
  cardNumber: varchar('card_number', { length: 64 }),
  nik: char('nik', { length: 16 }),
  fullName: text('full_name'),
  birthPlace: text('birth_place'),
  birthDate: date('birth_date'),
  address: text('address'),
  residentLocalId: varchar('resident_local_id', { length: 40 }),
  target: smallint('target'),
  contentHash: char('content_hash', { length: 40 }).notNull(),
  residentId: integer('resident_id'),
  citizenId: integer('citizen_id'),
  /** nik | resident | name_birth | none */
  link: varchar('link', { length: 16 }).notNull().default('none'),
  channel: varchar('channel', { length: 16 }).notNull(),
  inboxId: integer('inbox_id'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('aid_participants_village_local_uq').on(t.villageCode, t.localId),
  index('aid_participants_program_idx').on(t.villageCode, t.programLocalId),
  index('aid_participants_resident_idx').on(t.residentId).where(sql`resident_id is not null`),
  index('aid_participants_citizen_idx').on(t.citizenId).where(sql`citizen_id is not null`),
]);

/** Each aid enrolment resolved to the surviving citizen it names and that citizen's KK (kept by the stats refresher). */
export const statsAid = pgTable('stats_aid', {
  participantId: integer('participant_id').primaryKey(),
  villageCode: char('village_code', { length: 10 }).notNull(),
  programLocalId: varchar('program_local_id', { length: 40 }).notNull(),
  citizenId: integer('citizen_id'),
  kk: char('kk', { length: 16 }),
}, (t) => [index('stats_aid_citizen_idx').on(t.citizenId), index('stats_aid_village_idx').on(t.villageCode), index('stats_aid_kk_idx').on(t.kk).where(sql`kk is not null`)]);

export const statsDirtyRegistrations = pgTable('stats_dirty_registrations', { registrationId: integer('registration_id').notNull() });

/** What each registration adds to the service figures (migration 0026): a refresh applies the difference between now and then. */
export const statsRegistrationFacts = pgTable('stats_registration_facts', {
  registrationId: integer('registration_id').primaryKey(),
  week: date('week').notNull(),
  serviceCode: varchar('service_code', { length: 48 }).notNull(),
  agencyCode: varchar('agency_code', { length: 32 }).notNull(),
  kecamatanCode: char('kecamatan_code', { length: 6 }).notNull(),
  acknowledged: boolean('acknowledged').notNull(),
  waiting: boolean('waiting').notNull(),
  deliveryId: integer('delivery_id'),
  waitAgency: varchar('wait_agency', { length: 32 }),
  bucket: smallint('bucket'),
});
export const statsDirtyParticipants = pgTable('stats_dirty_participants', { participantId: integer('participant_id').notNull() });

/** Registrations per ISO week (UTC), service, agency and kecamatan. */
export const statsServiceWeek = pgTable('stats_service_week', {
  week: date('week').notNull(),
  serviceCode: varchar('service_code', { length: 48 }).notNull(),
  agencyCode: varchar('agency_code', { length: 32 }).notNull(),
  kecamatanCode: char('kecamatan_code', { length: 6 }).notNull(),
  registrations: integer('registrations').notNull(),
  acknowledged: integer('acknowledged').notNull(),
  waiting: integer('waiting').notNull(),
});

/** stats_service_week summed per agency and kecamatan (the weekly summary reads these few rows); service_rows = the detail rows summed. */
export const statsAgencyWeek = pgTable('stats_agency_week', {
  week: date('week').notNull(),
  agencyCode: varchar('agency_code', { length: 32 }).notNull(),
  kecamatanCode: char('kecamatan_code', { length: 6 }).notNull(),
  registrations: integer('registrations').notNull(),
  acknowledged: integer('acknowledged').notNull(),
  waiting: integer('waiting').notNull(),
  serviceRows: integer('service_rows').notNull(),
});

/** Deliveries without a final answer, with the moment their service level runs out (items past it are counted at read time). */
export const statsOpenItems = pgTable('stats_open_items', {
  deliveryId: integer('delivery_id').primaryKey(),
  week: date('week').notNull(),
  serviceCode: varchar('service_code', { length: 48 }).notNull(),
  agencyCode: varchar('agency_code', { length: 32 }).notNull(),
  kecamatanCode: char('kecamatan_code', { length: 6 }).notNull(),
  dueAt: timestamp('due_at', { withTimezone: true }),
}, (t) => [index('stats_open_items_week_idx').on(t.week), index('stats_open_items_kecamatan_idx').on(t.kecamatanCode, t.agencyCode)]);

/** Enrolments, people (once per program) and unlinked enrolments per village and program key. */
export const statsAidVillage = pgTable('stats_aid_village', {
  villageCode: char('village_code', { length: 10 }).notNull(),
  programKey: varchar('program_key', { length: 64 }).notNull(),
  programName: text('program_name').notNull(),
  enrolments: integer('enrolments').notNull(),
  people: integer('people').notNull(),
  unlinked: integer('unlinked').notNull(),
});

/** Double-enrolment candidates: enrolments in a running program whose person holds another in the same program or exclusive group. */
export const statsAidMulti = pgTable('stats_aid_multi', {
  participantId: integer('participant_id').primaryKey(),
  citizenId: integer('citizen_id').notNull(),
  grp: varchar('grp', { length: 64 }).notNull(),
  villageCode: char('village_code', { length: 10 }).notNull(),
}, (t) => [index('stats_aid_multi_citizen_idx').on(t.citizenId, t.grp), index('stats_aid_multi_village_idx').on(t.villageCode)]);

/** Waits from registration to acknowledgement as 10 % buckets per week, agency and kecamatan. */
export const statsWaitHist = pgTable('stats_wait_hist', {
  week: date('week').notNull(),
  agencyCode: varchar('agency_code', { length: 32 }).notNull(),
  kecamatanCode: char('kecamatan_code', { length: 6 }).notNull(),
  bucket: smallint('bucket').notNull(),
  n: integer('n').notNull(),
});

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
