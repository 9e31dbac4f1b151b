import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';

/**
 * One identify batch at a time across all hub instances. A reviewer's merge or split takes it too,
 * before it moves records: a move then never commits while a batch reads, so the order of the moves'
 * sequence numbers is their commit order and the identify index can follow them by watermark.
 */
const IDENTIFY_LOCK = 0x7469_7975;

/**
 * Held until the transaction ends. `genericPlans` (an identify batch) also makes the transaction's
 * prepared statements keep one plan each (plan_cache_mode force_generic_plan, SET LOCAL in the same
 * statement): the hub's connections plan every execution anew (client.ts), and under single pushes
 * the batch's statements spent ~1 ms per batch being planned, four times what some took to run. The
 * caller keeps every statement it runs meanwhile free of parameters a plan depends on (a status a
 * partial index is chosen by, an open range), or goes back with customPlans.
 */
export async function lockIdentify(tx: Tx, opts: { genericPlans?: boolean } = {}): Promise<void> {
  await tx.execute(opts.genericPlans
    ? sql`select pg_advisory_xact_lock(${IDENTIFY_LOCK}), set_config('plan_cache_mode', 'force_generic_plan', true)`
    : sql`select pg_advisory_xact_lock(${IDENTIFY_LOCK})`);
}

/** Back to a plan per execution for the rest of the transaction (statements not written for generic plans). */
export async function customPlans(tx: Tx): Promise<void> {
  await tx.execute(sql`select set_config('plan_cache_mode', 'force_custom_plan', true)`);
}
