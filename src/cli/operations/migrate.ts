import type { Operation } from './operation.js';

/** Migrations run at every start; through a running hub this only confirms which database it is. */
export const migrateOperation: Operation<Record<string, never>, { database: string }> = {
  needs: 'database',
  async run(c) {
    return { database: c.describe };
  },
};
