/**
 * Where a frame's file is in the user's repository, for CI annotations.
 *
 * A frame's file is printed by the runtime of the program that ran, often
 * on another machine: an absolute path of the build machine
 * ("/home/ci/build/svc/internal/queue/worker.go"), or, in a Go binary built
 * with -trimpath, the module path followed by the file's place in the module
 * ("example.com/svc/internal/queue/worker.go"). The repository's go.mod files
 * say which module lives in which folder, so both map back to a path relative
 * to the repository root (--source-root).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';

interface GoModule {
  /** "example.com/svc" */
  path: string;
  /** The module's folder relative to the source root ("" for the root). */
  dir: string;
}

const SKIPPED_DIRS = new Set(['node_modules', 'vendor', 'testdata', '.git', 'dist', 'build']);
const MAX_DEPTH = 4;

export class SourcePaths {
  private readonly modules: GoModule[];

  constructor(readonly sourceRoot: string) {
    this.modules = findGoModules(sourceRoot).sort((a, b) => b.path.length - a.path.length);
  }

  /** The file relative to the source root ("internal/queue/worker.go"), or undefined when it is not in the repository. */
  relativePath(file: string): string | undefined {
    if (file === '') return undefined;
    if (isAbsolute(file)) {
      const rel = relative(this.sourceRoot, file);
      if (!rel.startsWith('..') && !isAbsolute(rel)) return toSlashes(rel);
      return this.fromModulePath(file, true);
    }
    return this.fromModulePath(file, false);
  }

  /**
   * "example.com/svc/internal/x.go" (trimpath), or an absolute build-machine
   * path that contains the module's folder name and a file that the module
   * holds at the same place (".../svc/internal/x.go").
   */
  private fromModulePath(file: string, absolute: boolean): string | undefined {
    const path = toSlashes(file);
    for (const module of this.modules) {
      if (!absolute && path.startsWith(`${module.path}/`)) return toSlashes(join(module.dir, path.slice(module.path.length + 1)));
    }
    if (!absolute) return undefined;
    // A build machine's checkout: the longest tail of the path that this
    // repository holds at the same place. A bare file name ("main.go") is too
    // common to match alone: its folder must have the module folder's name.
    const parts = path.split('/');
    const places = this.modules.some((m) => m.dir === '') ? this.modules : [...this.modules, { path: '', dir: '' }];
    for (let start = 1; start < parts.length; start++) {
      const tail = parts.slice(start).join('/');
      for (const module of places) {
        if (start === parts.length - 1 && parts[start - 1] !== basename(module.dir || this.sourceRoot)) continue;
        const candidate = toSlashes(join(module.dir, tail));
        if (existsSync(join(this.sourceRoot, candidate))) return candidate;
      }
    }
    return undefined;
  }
}

function toSlashes(path: string): string {
  return path.split('\\').join('/');
}

/** go.mod files at most a few folders down, skipping dependencies and build output. */
function findGoModules(root: string, dir = '', depth = 0, found: GoModule[] = []): GoModule[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name === 'go.mod') {
      const path = modulePath(join(root, dir, 'go.mod'));
      if (path !== undefined) found.push({ path, dir });
    }
  }
  if (depth < MAX_DEPTH) {
    for (const entry of entries) {
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) findGoModules(root, join(dir, entry.name), depth + 1, found);
    }
  }
  return found;
}

function modulePath(goMod: string): string | undefined {
  try {
    const match = /^\s*module\s+("?)([^\s"]+)\1\s*$/m.exec(readFileSync(goMod, 'utf8'));
    return match?.[2];
  } catch {
    return undefined;
  }
}
