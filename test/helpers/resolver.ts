import type { IdentityInput, Resolver } from '../../src/pipeline/stages/identify.js';
import type { EngineResolver } from '../../src/pipeline/stages/engineResolver.js';

/** The engine resolver, with every input a batch hands it pushed to `seen` (which objects reach the engine). */
export function watchedResolver(engine: EngineResolver, seen: IdentityInput[]): Resolver {
  return {
    prepare: (d) => engine.prepare(d), warm: (inputs) => engine.warm(inputs), aborted: () => engine.aborted(),
    committed: (...args) => engine.committed(...args),
    resolve: (tx, inputs, decided) => {
      seen.push(...inputs);
      return engine.resolve(tx, inputs, decided);
    },
  };
}
