/**
 * Ignore rules: tasks that are expected to live and must not be ranked.
 *
 * Rules match by:
 *   function   any frame of the task's stack ("pkg.fn", `*` as a wildcard)
 *   createdBy  the frame that created the task
 *   package    the package path (Go) or file path (Node) of the site's anchor, as a prefix
 *   label      a label "key=value" (or "key" for any value)
 *
 * The defaults cover what the Go runtime and standard library keep alive on
 * their own, as goleak does (its IgnoreTopFunction/IgnoreAnyFunction lists)
 * and a few more that a service has but a unit test does not.
 */
import type { Frame, Snapshot, Task } from '../model/format.js';
import { CodeClassifier, anchorFrame, goPackagePath } from '../model/site.js';
import { InputError } from '../util/errors.js';
import { ownValue } from '../model/dictionary.js';

export interface IgnoreRuleSet {
  function?: string[];
  createdBy?: string[];
  package?: string[];
  label?: string[];
}

/** Go goroutines that every process has and that never signal a leak. */
export const DEFAULT_GO_IGNORES: Required<IgnoreRuleSet> = {
  function: [
    // The goroutine that serves os/signal.Notify.
    'os/signal.signal_recv',
    'os/signal.loop',
    // Test runners (goleak ignores these too).
    'testing.(*T).Run',
    'testing.tRunner',
    'testing.(*M).Run',
    'testing.runTests',
    // Runtime helpers that show up with GOTRACEBACK=system.
    'runtime.gopark.forcegchelper',
    'runtime.forcegchelper',
    'runtime.bgsweep',
    'runtime.bgscavenge',
    'runtime.runfinq',
    'runtime.gcBgMarkWorker',
    'runtime.runCleanups',
    'runtime/trace.Start.func1',
    // runtime.Stack's own caller when a dump is taken in-process.
    'runtime/pprof.writeGoroutineStacks',
    'runtime/pprof.writeGoroutine',
    'net/http/pprof.handler.ServeHTTP',
  ],
  createdBy: [],
  package: [],
  label: [],
};

export class IgnoreRules {
  constructor(readonly rules: Required<IgnoreRuleSet>) {
    for (const label of rules.label) {
      if (label === '' || label.startsWith('=')) throw new InputError(`ignore label rule "${label}" needs a key ("key" or "key=value")`);
    }
  }

  static defaults(): IgnoreRules {
    return new IgnoreRules(cloneRules(DEFAULT_GO_IGNORES));
  }

  static none(): IgnoreRules {
    return new IgnoreRules({ function: [], createdBy: [], package: [], label: [] });
  }

  /** These rules plus `more`. */
  with(more: IgnoreRuleSet): IgnoreRules {
    return new IgnoreRules({
      function: [...this.rules.function, ...(more.function ?? [])],
      createdBy: [...this.rules.createdBy, ...(more.createdBy ?? [])],
      package: [...this.rules.package, ...(more.package ?? [])],
      label: [...this.rules.label, ...(more.label ?? [])],
    });
  }

  /** A per-snapshot predicate; caches frame matches by frame index. */
  matcher(snapshot: Snapshot): (task: Task) => boolean {
    const functionPatterns = this.rules.function.map(globToRegExp);
    const creatorPatterns = this.rules.createdBy.map(globToRegExp);
    const packages = this.rules.package;
    const labels = this.rules.label.map((rule) => {
      const eq = rule.indexOf('=');
      return eq < 0 ? { key: rule } : { key: rule.slice(0, eq), value: rule.slice(eq + 1) };
    });
    if (functionPatterns.length + creatorPatterns.length + packages.length + labels.length === 0) return () => false;

    const code = new CodeClassifier(snapshot.runtime, snapshot.frames);
    const frameMatches = new Map<number, boolean>();
    const stackMatches = new Map<number, boolean>();
    const stackIgnored = (stack: number): boolean => {
      let result = stackMatches.get(stack);
      if (result === undefined) {
        const frames = snapshot.stacks[stack] ?? [];
        result = frames.some((id) => {
          let m = frameMatches.get(id);
          if (m === undefined) frameMatches.set(id, (m = functionPatterns.some((p) => p.test(snapshot.frames[id]!.fn))));
          return m;
        });
        if (!result && packages.length > 0) {
          const anchor = anchorFrame(code, snapshot.frames, frames);
          result = anchor !== undefined && packages.some((prefix) => packageOf(snapshot, anchor).startsWith(prefix));
        }
        stackMatches.set(stack, result);
      }
      return result;
    };
    return (task) => {
      if (stackIgnored(task.stack)) return true;
      if (task.createdBy !== undefined && creatorPatterns.length > 0) {
        const creator = snapshot.stacks[task.createdBy]?.[0];
        if (creator !== undefined && creatorPatterns.some((p) => p.test(snapshot.frames[creator]!.fn))) return true;
      }
      if (task.labels !== undefined && labels.length > 0) {
        for (const rule of labels) {
          const value = ownValue(task.labels, rule.key);
          if (value !== undefined && (rule.value === undefined || rule.value === value)) return true;
        }
      }
      return false;
    };
  }
}

function packageOf(snapshot: Snapshot, frame: Frame): string {
  return snapshot.runtime === 'go' ? goPackagePath(frame.fn) : frame.file;
}

function cloneRules(rules: Required<IgnoreRuleSet>): Required<IgnoreRuleSet> {
  return { function: [...rules.function], createdBy: [...rules.createdBy], package: [...rules.package], label: [...rules.label] };
}

/** "pkg.(*T).*" -> /^pkg\.\(\*T\)\..*$/ : only `*` is special. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
