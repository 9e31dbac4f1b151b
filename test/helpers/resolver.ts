import type { IdentityInput, Resolver } from '../../src/pipeline/stages/identify.js';
import type { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';

/**
 * The engine resolver, with every input a batch hands it pushed to `seen` (which objects reach the
 * engine), and every input warmed pushed to `warmed` when given.
 */
export function watchedResolver(engine: EngineResolver, seen: IdentityInput[], warmed?: IdentityInput[]): Resolver {
  return {
    prepare: (d) => engine.prepare(d), aborted: () => engine.aborted(),
    warm: (inputs) => {
      warmed?.push(...inputs);
      engine.warm(inputs);
    },
    committed: (...args) => engine.committed(...args),
    resolve: (tx, inputs, decided) => {
      seen.push(...inputs);
      return engine.resolve(tx, inputs, decided);
    },
  };
}
