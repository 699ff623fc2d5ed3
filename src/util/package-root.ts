/**
 * Where leakscan's own files are, whatever the file asking. Compiled code runs
 * from dist/src/..., the sources it reads at run time (the Node agent, the
 * report's client files, package.json, the native addon's build folder) stay
 * beside dist/. One place knows the depth, so moving a module moves nothing else.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the folder holding package.json (this file is dist/src/util/package-root.js). */
export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A path inside the package, from its root. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot, ...parts);
}
