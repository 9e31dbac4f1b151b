import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';

/**
 * One identify batch at a time across all hub instances. A reviewer's merge or split takes it too,
 * before it moves records: a move then never commits while a batch reads, so the order of the moves'
 * sequence numbers is their commit order and the identify index can follow them by watermark.
 */
const IDENTIFY_LOCK = 0x7469_7975;

/** Held until the transaction ends. */
export async function lockIdentify(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${IDENTIFY_LOCK})`);
}
