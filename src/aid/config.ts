/**
 * config/aid-programs.json (optional): programs that count as one for double enrolment. Each group
 * names programs by their name as villages write it (compared as program keys, see programKeyOf), e.g.
 * two cash transfers a family may not receive both of.
 */
import { programKeyOf } from './rows.js';

export interface AidGroup { code: string; name: string; programs: string[] }

export const aidProgramsFileSchema = {
  type: 'object', additionalProperties: false, required: ['exclusive'],
  properties: {
    exclusive: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['code', 'name', 'programs'],
        properties: {
          code: { type: 'string', pattern: '^[A-Z0-9-]{1,64}$' },
          name: { type: 'string', minLength: 1, maxLength: 200 },
          programs: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
  },
} as const;

/** program key → group code, for the programs a group names. */
export function groupOfProgram(groups: readonly AidGroup[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const g of groups ?? []) for (const p of g.programs) m.set(programKeyOf(p), g.code);
  return m;
}
