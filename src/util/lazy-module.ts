/**
 * A CommonJS dependency loaded on its first use instead of at start-up, so
 * the commands that never use it start without paying for it: `ws` and
 * `yargs-parser` serve only Node targets, the SARIF builder only
 * `check --format sarif`. Together they took about 60 ms of every start
 * (`npm run bench:startup`, BENCHMARKS.md).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
