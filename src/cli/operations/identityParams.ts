import { formatEstimate } from '../../pipeline/identity/estimate.js';
import { currentIdentityParameters, reestimateIdentityParameters } from '../../pipeline/identityParameters.js';
import type { Operation } from './operation.js';

/** A parameter set as the operator reads it (its m/u tables stay in the database). */
export interface ParameterSetLine { id: number; learned: boolean; records: number; createdAt: string; createdBy: string; reason: string | null }

const line = (s: { id: number; learned: boolean; records: number; createdAt: Date; createdBy: string; reason: string | null }): ParameterSetLine =>
  ({ id: s.id, learned: s.learned, records: s.records, createdAt: s.createdAt.toISOString(), createdBy: s.createdBy, reason: s.reason });

export const showIdentityParamsOperation: Operation<Record<string, never>, ParameterSetLine | null> = {
  needs: 'database',
  run: async (c) => {
    const set = await currentIdentityParameters(c.db);
    return set ? line(set) : null;
  },
};

/** Learns m and u from the active population and records the set (who, when, why); identify uses it from its next batch. */
export const estimateIdentityParamsOperation: Operation<{ reason?: string; explain: boolean }, { set: ParameterSetLine; explanation: string | null }> = {
  needs: 'database',
  async run(c, input) {
    const { set, estimate } = await reestimateIdentityParameters(c.db, { createdBy: c.actor, ...(input.reason ? { reason: input.reason } : {}) });
    return { set: line(set), explanation: input.explain ? formatEstimate(estimate) : null };
  },
};
