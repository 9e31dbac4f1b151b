import type { Operation } from './operation.js';

/**
 * Every operation a CLI command may run, by name, loaded on demand (the CLI's --help must not load the
 * database drivers). A new command adds one line here and an Operation in this folder; the control
 * endpoint and the local runner find it by name.
 */
export const OPERATIONS = {
  'keys.create': async () => (await import('./keys.js')).createKeyOperation,
  migrate: async () => (await import('./migrate.js')).migrateOperation,
  'sources.list': async () => (await import('./sources.js')).listSources,
  'sources.check': async () => (await import('./sources.js')).checkSourceOperation,
  'sync.start': async () => (await import('./sources.js')).startSync,
  'sync.state': async () => (await import('./sources.js')).syncRunState,
  'quarantine.list': async () => (await import('./quarantine.js')).listQuarantineOperation,
  'quarantine.replay': async () => (await import('./quarantine.js')).replayQuarantineOperation,
  import: async () => (await import('./import.js')).importOperation,
  'users.create': async () => (await import('./users.js')).createUserOperation,
  'users.list': async () => (await import('./users.js')).listUsersOperation,
  'users.disable': async () => (await import('./users.js')).disableUserOperation,
  'users.resetPassword': async () => (await import('./users.js')).resetPasswordOperation,
} satisfies Record<string, () => Promise<Operation<never, unknown>>>;

export type OperationName = keyof typeof OPERATIONS;
type OperationOf<N extends OperationName> = Awaited<ReturnType<(typeof OPERATIONS)[N]>>;
export type InputOf<N extends OperationName> = OperationOf<N> extends Operation<infer I, unknown> ? I : never;
export type OutputOf<N extends OperationName> = OperationOf<N> extends Operation<never, infer O> ? O : never;

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(OPERATIONS, name);
}
