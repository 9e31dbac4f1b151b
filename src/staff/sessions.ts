import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows, type Queryable } from '../db/client.js';
import { writeAudit } from '../audit/log.js';
import { decoyHash, verifyPassword } from './passwords.js';
import { USER_COLUMNS, type StaffUser } from './users.js';

export interface SessionPolicy {
  /** A session unused this long ends (an office laptop left open). */
  idleMinutes: number;
  /** A session ends this long after login, used or not. */
  maxHours: number;
  /** Wrong passwords in a row before an account is locked. */
  accountFailures: number;
  /** Wrong passwords from one address (any account) within the lock window before the address is locked. */
  addressFailures: number;
  lockMinutes: number;
}

export const DEFAULT_POLICY: SessionPolicy = { idleMinutes: 30, maxHours: 12, accountFailures: 5, addressFailures: 20, lockMinutes: 15 };

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface Session { id: string; user: StaffUser }

export type LoginResult =
  | { status: 'ok'; token: string; user: StaffUser }
  | { status: 'invalid'; remaining: number | null }
  | { status: 'locked'; until: Date; by: 'account' | 'address' }
  | { status: 'disabled' };

/**
 * Checks a password with the throttles: a locked address or account is refused before its password is
 * even checked, an unknown username costs the same argon2 time as a known one, and every refusal is
 * counted against both the account and the address.
 */
export async function login(db: Queryable, username: string, password: string, address: string, policy = DEFAULT_POLICY): Promise<LoginResult> {
  const [addr] = await rows<{ locked_until: Date | null }>(db, sql`
    select locked_until from staff_login_throttle where address = ${address} and locked_until > now()`);
  if (addr?.locked_until) return { status: 'locked', until: new Date(addr.locked_until), by: 'address' };

  const [row] = await rows<StaffUser & { passwordHash: string; failedLogins: number; lockedUntil: Date | null }>(db, sql`
    select ${USER_COLUMNS}, password_hash as "passwordHash", failed_logins as "failedLogins",
      case when locked_until > now() then locked_until end as "lockedUntil"
    from staff_users where lower(username) = lower(${username.trim()})`);
  if (row?.lockedUntil) return { status: 'locked', until: new Date(row.lockedUntil), by: 'account' };

  const ok = await verifyPassword(row?.passwordHash ?? await decoyHash(), password);
  if (!row || !ok) {
    const [a] = await rows<{ failures: number; locked_until: Date | null }>(db, sql`
      insert into staff_login_throttle (address, failures, window_start) values (${address}, 1, now())
      on conflict (address) do update set
        failures = case when staff_login_throttle.window_start < now() - make_interval(mins => ${policy.lockMinutes}) then 1 else staff_login_throttle.failures + 1 end,
        window_start = case when staff_login_throttle.window_start < now() - make_interval(mins => ${policy.lockMinutes}) then now() else staff_login_throttle.window_start end
      returning failures, locked_until`);
    if (a && a.failures >= policy.addressFailures) {
      await db.execute(sql`update staff_login_throttle set locked_until = now() + make_interval(mins => ${policy.lockMinutes}) where address = ${address}`);
    }
    if (!row) return { status: 'invalid', remaining: null };
    const [u] = await rows<{ failed_logins: number; locked_until: Date | null }>(db, sql`
      update staff_users set failed_logins = failed_logins + 1,
        locked_until = case when failed_logins + 1 >= ${policy.accountFailures} then now() + make_interval(mins => ${policy.lockMinutes}) end
      where id = ${row.id} returning failed_logins, locked_until`);
    await writeAudit(db, { actor: row.username, userId: row.id, action: u?.locked_until ? 'login.locked' : 'login.failed', targetType: 'staff_users', targetId: String(row.id), regionCode: row.villageCode ?? row.kecamatanCode, detail: { failures: u?.failed_logins } });
    if (u?.locked_until) return { status: 'locked', until: new Date(u.locked_until), by: 'account' };
    return { status: 'invalid', remaining: policy.accountFailures - (u?.failed_logins ?? 0) };
  }
  if (row.disabledAt) return { status: 'disabled' };

  const token = randomBytes(32).toString('base64url');
  await db.execute(sql`update staff_users set failed_logins = 0, locked_until = null, last_login_at = now() where id = ${row.id}`);
  await db.execute(sql`insert into staff_sessions (id, user_id, address) values (${hashToken(token)}, ${row.id}, ${address})`);
  await writeAudit(db, { actor: row.username, userId: row.id, action: 'login', targetType: 'staff_users', targetId: String(row.id), regionCode: row.villageCode ?? row.kecamatanCode });
  const { passwordHash: _h, failedLogins: _f, lockedUntil: _l, ...user } = row;
  return { status: 'ok', token, user };
}

/** The live session of a cookie token: not revoked, not idle too long, not too old, its user not disabled. */
export async function findSession(db: Queryable, token: string, policy = DEFAULT_POLICY): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const id = hashToken(token);
  const [row] = await rows<StaffUser & { sessionId: string; stale: boolean }>(db, sql`
    select s.id as "sessionId", s.last_seen_at < now() - interval '1 minute' as stale, ${sql.raw(
      'u.id, u.username, u.full_name as "fullName", u.role, u.village_code as "villageCode", u.kecamatan_code as "kecamatanCode", u.agency_code as "agencyCode", u.must_change_password as "mustChangePassword", u.last_login_at as "lastLoginAt", u.created_at as "createdAt", u.disabled_at as "disabledAt"')}
    from staff_sessions s join staff_users u on u.id = s.user_id
    where s.id = ${id} and s.revoked_at is null and u.disabled_at is null
      and s.last_seen_at > now() - make_interval(mins => ${policy.idleMinutes})
      and s.created_at > now() - make_interval(hours => ${policy.maxHours})`);
  if (!row) return null;
  // Written at most once a minute: a page view should not cost a write.
  if (row.stale) await db.execute(sql`update staff_sessions set last_seen_at = now() where id = ${id}`);
  const { sessionId, stale: _stale, ...user } = row;
  return { id: sessionId, user };
}

export async function endSession(db: Queryable, token: string): Promise<void> {
  await db.execute(sql`update staff_sessions set revoked_at = now() where id = ${hashToken(token)} and revoked_at is null`);
}
