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
  'webhooks.set': async () => (await import('./webhooks.js')).setWebhookOperation,
  'webhooks.list': async () => (await import('./webhooks.js')).listWebhooksOperation,
  'webhooks.rotate': async () => (await import('./webhooks.js')).rotateWebhookOperation,
  'webhooks.redeliver': async () => (await import('./webhooks.js')).redeliverWebhooksOperation,
  replay: async () => (await import('./replay.js')).replayOperation,
  'stats.rebuild': async () => (await import('./stats.js')).rebuildStatsOperation,
  'stats.refresh': async () => (await import('./stats.js')).refreshStatsOperation,
  'identityParams.show': async () => (await import('./identityParams.js')).showIdentityParamsOperation,
  'identityParams.estimate': async () => (await import('./identityParams.js')).estimateIdentityParamsOperation,
} satisfies Record<string, () => Promise<Operation<never, unknown>>>;

export type OperationName = keyof typeof OPERATIONS;
type OperationOf<N extends OperationName> = Awaited<ReturnType<(typeof OPERATIONS)[N]>>;
export type InputOf<N extends OperationName> = OperationOf<N> extends Operation<infer I, unknown> ? I : never;
export type OutputOf<N extends OperationName> = OperationOf<N> extends Operation<never, infer O> ? O : never;

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(OPERATIONS, name);
}

/**
 * Seconds of CPU in one go (the whole population in memory): inside a serving hub they would stall its
 * API. On a database server (DATABASE_URL) they run in the CLI's own process even while a hub runs;
 * on the embedded database they still go through the hub, its one owner.
 */
export const RUN_APART: ReadonlySet<OperationName> = new Set<OperationName>(['identityParams.estimate', 'stats.rebuild']);
