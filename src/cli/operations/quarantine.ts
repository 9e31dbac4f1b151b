import { listQuarantine, replayQuarantine, type QuarantineItem, type ReplayAnswer } from '../../api/quarantine.js';
import { regionDigits } from '../../config/regionCode.js';
import { pipelineOf, type Operation } from './operation.js';

/** The operator's listing, every village: what is wrong with each record, never the record itself. */
export type QuarantineLine = Omit<QuarantineItem, 'payload' | 'errors'> & {
  errors: { code: string; field: string }[];
  /** The record's NIK with all but the kabupaten and the last four digits hidden, e.g. 1812********0003. */
  nik: string | null;
  /** Initials only. */
  name: string | null;
};

export function maskNik(nik: unknown): string | null {
  if (typeof nik !== 'string' && typeof nik !== 'number') return null;
  const s = String(nik).replace(/\D/g, '');
  if (!s) return null;
  return s.length <= 8 ? '*'.repeat(s.length) : `${s.slice(0, 4)}${'*'.repeat(s.length - 8)}${s.slice(-4)}`;
}

export function maskName(name: unknown): string | null {
  if (typeof name !== 'string' || !name.trim()) return null;
  return name.trim().split(/\s+/).map((w) => `${[...w][0]!.toUpperCase()}.`).join(' ');
}

/** A resident payload names its person at the top; a registration under `applicant`. */
function person(payload: unknown): Record<string, unknown> {
  if (!payload || typeof payload !== 'object') return {};
  const p = payload as Record<string, unknown>;
  return p.applicant && typeof p.applicant === 'object' ? p.applicant as Record<string, unknown> : p;
}

export interface QuarantineFilter { village?: string; kind?: string; status?: string; limit: number; offset: number }

export const listQuarantineOperation: Operation<QuarantineFilter, { total: number; items: QuarantineLine[] }> = {
  needs: 'pipeline',
  async run(c, input) {
    const village = input.village ? regionDigits(input.village) ?? input.village : undefined;
    const { total, items } = await listQuarantine(pipelineOf(c), { villages: null, apiKeyId: null }, { ...input, village });
    return {
      total,
      items: items.map(({ payload, errors, ...rest }) => {
        const p = person(payload);
        // A file without the village's resident ids is keyed by NIK (nikAsLocalId): the key is personal data then.
        const externalId = rest.externalId?.replace(/\d{16}/g, (nik) => maskNik(nik)!) ?? null;
        return { ...rest, externalId, errors: errors.map((e) => ({ code: e.code, field: e.field })), nik: maskNik(p.nik ?? p.NIK), name: maskName(p.fullName ?? p.nama) };
      }),
    };
  },
};

export const replayQuarantineOperation: Operation<{ items: { id: number; payload?: unknown }[] }, ReplayAnswer[]> = {
  needs: 'pipeline',
  run: (c, input) => replayQuarantine(pipelineOf(c), input.items, { villages: null, apiKeyId: null }, { apiKeyId: null }),
};
