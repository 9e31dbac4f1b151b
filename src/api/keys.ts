import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiKeys } from '../db/schema.js';
import { arrayParam } from '../db/sqlArrays.js';
import type { Scope, ScopeRole } from '../access/scope.js';

export type Role = ScopeRole;

/** Who a bearer key speaks for; its scope (src/access/scope.ts) bounds everything it may read or write. */
export interface Principal extends Scope {
  keyId: number;
  label: string;
}

export const hashKey = (secret: string) => createHash('sha256').update(secret).digest('hex');

const PREFIX: Record<Role, string> = { village: 'thv', kecamatan: 'thk', agency: 'tha', admin: 'thx', opendk: 'tho' };

/** Makes a key; only its hash is stored, so the secret is shown once. */
export async function createKey(db: Db, scope: { role: Role; villageCode?: string; kecamatanCode?: string; agencyCode?: string; label?: string; expiresAt?: Date }): Promise<{ id: number; secret: string }> {
  const secret = `${PREFIX[scope.role]}_${randomBytes(24).toString('base64url')}`;
  const [row] = await db.insert(apiKeys).values({
    keyHash: hashKey(secret),
    keyPrefix: secret.slice(0, 10),
    role: scope.role,
    villageCode: scope.villageCode ?? null,
    kecamatanCode: scope.kecamatanCode ?? (scope.villageCode ? scope.villageCode.slice(0, 6) : null),
    agencyCode: scope.agencyCode ?? null,
    label: scope.label ?? null,
    expiresAt: scope.expiresAt ?? null,
  }).returning({ id: apiKeys.id });
  return { id: row!.id, secret };
}

/**
 * Revokes a key for good (a village's system was replaced, a secret leaked). Null when no such key;
 * a key revoked before keeps its first revocation time. Running hubs refuse it within their cache's minute.
 */
export async function revokeKey(db: Db, id: number): Promise<RevokedKey | null> {
  const fields = { id: apiKeys.id, revokedAt: apiKeys.revokedAt, prefix: apiKeys.keyPrefix, villageCode: apiKeys.villageCode, kecamatanCode: apiKeys.kecamatanCode };
  const [done] = await db.update(apiKeys).set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning(fields);
  const row = done ?? (await db.select(fields).from(apiKeys).where(eq(apiKeys.id, id)))[0];
  return row ? { ...row, revokedAt: row.revokedAt! } : null;
}

export interface RevokedKey { id: number; revokedAt: Date; prefix: string; villageCode: string | null; kecamatanCode: string | null }

/**
 * Keys are looked up on every request; a short cache keeps that off the database, revocation applies within a minute.
 * Each accepted key's last use is kept in memory too and written in one UPDATE at most once a minute
 * (and on close), so "last use" in the console costs the request path nothing but a map write.
 */
export class KeyStore {
  private cache = new Map<string, { principal: Principal | null; until: number; expiresAt: number }>();
  private used = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  constructor(private db: Db, private ttlMs = 60_000, private flushMs = 60_000) {}

  async find(secret: string): Promise<Principal | null> {
    const principal = await this.lookup(secret);
    if (principal) this.markUsed(principal.keyId);
    return principal;
  }

  private markUsed(keyId: number): void {
    this.used.set(keyId, Date.now());
    if (!this.timer) {
      this.timer = setTimeout(() => { this.timer = null; void this.flush().catch(() => undefined); }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes the last uses seen since the previous flush; never moves a stored time backwards (several hub processes). */
  flush(): Promise<void> {
    const run = async () => {
      if (!this.used.size) return;
      const batch = [...this.used];
      this.used.clear();
      try {
        await this.db.execute(sql`update api_keys k set last_used_at = greatest(k.last_used_at, u.at)
          from unnest(${arrayParam(batch.map(([id]) => id), 'int')}, ${arrayParam(batch.map(([, at]) => new Date(at).toISOString()), 'timestamptz')}) as u(id, at)
          where k.id = u.id`);
      } catch (err) {
        // Kept for the next flush unless a newer use replaced it meanwhile.
        for (const [id, at] of batch) if ((this.used.get(id) ?? 0) < at) this.used.set(id, at);
        throw err;
      }
    };
    this.flushing = this.flushing.then(run, run);
    return this.flushing;
  }

  /** On the app's close: the last minute's uses are written, not lost. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async lookup(secret: string): Promise<Principal | null> {
    const hash = hashKey(secret);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.expiresAt > now ? hit.principal : null;
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).limit(1);
    const expiresAt = row?.expiresAt ? row.expiresAt.getTime() : Infinity;
    const principal: Principal | null = row && !row.revokedAt && expiresAt > now
      ? {
        keyId: row.id, role: row.role as Role, villageCode: row.villageCode, kecamatanCode: row.kecamatanCode,
        agencyCode: row.agencyCode, label: row.label ?? `${row.role}:${row.keyPrefix}`,
      }
      : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: now + this.ttlMs, expiresAt });
    return principal;
  }

  /** A key revoked through this process is refused at once here (other processes: within the cache's minute). */
  forget(keyId: number): void {
    for (const [hash, entry] of this.cache) if (entry.principal?.keyId === keyId) this.cache.delete(hash);
  }
}

export interface KeyRow {
  id: number; keyPrefix: string; role: string; villageCode: string | null; kecamatanCode: string | null; agencyCode: string | null;
  label: string | null; createdAt: Date; revokedAt: Date | null; lastUsedAt: Date | null;
}

/** Keys and OpenDK tokens by id after `after` (secrets are never kept, only a prefix to tell them apart). */
export async function listKeys(db: Db, page: { after?: number; limit: number; kecamatan?: string | null }): Promise<KeyRow[]> {
  return db.select({
    id: apiKeys.id, keyPrefix: apiKeys.keyPrefix, role: apiKeys.role, villageCode: apiKeys.villageCode, kecamatanCode: apiKeys.kecamatanCode,
    agencyCode: apiKeys.agencyCode, label: apiKeys.label, createdAt: apiKeys.createdAt, revokedAt: apiKeys.revokedAt, lastUsedAt: apiKeys.lastUsedAt,
  }).from(apiKeys)
    .where(and(gt(apiKeys.id, page.after ?? 0), page.kecamatan ? eq(apiKeys.kecamatanCode, page.kecamatan) : undefined))
    .orderBy(asc(apiKeys.id)).limit(page.limit);
}

