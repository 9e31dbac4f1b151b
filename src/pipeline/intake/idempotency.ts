import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';

/** The body as parsed, hashed: the same bytes give the same hash, so a retry is recognised as one. */
export function requestHash(body: unknown): string {
  return createHash('sha1').update(JSON.stringify(body) ?? '').digest('hex');
}

export type Prior =
  | { state: 'none' }
  /** The key is known but its request has not committed its answer yet. */
  | { state: 'pending' }
  | { state: 'answered'; response: unknown }
  /** The key was used before with another body: the second request is not the first one retried. */
  | { state: 'reused' };

/** What an earlier request with this key and Idempotency-Key left. */
export async function priorSubmission(db: Db, apiKeyId: number, idempotencyKey: string, hash: string): Promise<Prior> {
  const [row] = await rows<{ response: unknown; request_hash: string | null }>(db, sql`
    select response, request_hash from inbox where api_key_id = ${apiKeyId} and idempotency_key = ${idempotencyKey}`);
  if (!row) return { state: 'none' };
  if (row.request_hash && row.request_hash !== hash) return { state: 'reused' };
  return row.response == null ? { state: 'pending' } : { state: 'answered', response: row.response };
}
