import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root (tests run from dist/test/...). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cliPath = join(repoRoot, 'bin', 'leakscan.js');
export const fixturesDir = join(repoRoot, 'fixtures');
export const dumpsDir = join(fixturesDir, 'dumps');
/** Build outputs of tests: ignored by git, kept between runs for speed. */
export const cacheDir = join(repoRoot, '.cache');
