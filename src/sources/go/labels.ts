/**
 * Gives pprof labels to the goroutines of a debug=2 dump, which carries none
 * before Go 1.26 (or without GODEBUG=tracebacklabels=1), from a debug=0
 * profile taken right after it, which has labels per distinct stack.
 *
 * Goroutines are matched to profile samples by their stack with runtime
 * frames removed (the two formats show different runtime frames). A stack
 * seen with exactly one label set in the profile gets those labels; a stack
 * seen with several is ambiguous and left unlabeled, and a warning says how
 * many goroutines that left out.
 */
import type { Snapshot } from '../../model/format.js';

export function attachProfileLabels(dump: Snapshot, profile: Snapshot): void {
  const labelSetsBySignature = new Map<string, Set<string>>();
  const profileSignature = signatures(profile);
  for (const task of profile.tasks) {
    const signature = profileSignature(task.stack);
    let sets = labelSetsBySignature.get(signature);
    if (sets === undefined) labelSetsBySignature.set(signature, (sets = new Set()));
    sets.add(task.labels ? JSON.stringify(sortedEntries(task.labels)) : '');
  }
  const dumpSignature = signatures(dump);
  let ambiguous = 0;
  for (const task of dump.tasks) {
    const sets = labelSetsBySignature.get(dumpSignature(task.stack));
    if (sets === undefined) continue;
    if (sets.size > 1) {
      if ([...sets].some((s) => s !== '')) ambiguous++;
      continue;
    }
    const only = sets.values().next().value as string;
    if (only !== '') task.labels = Object.fromEntries(JSON.parse(only) as [string, string][]);
  }
  if (ambiguous > 0) {
    (dump.warnings ??= []).push(
      `${ambiguous} goroutines share a stack with goroutines of other pprof labels; their labels are unknown`,
    );
  }
}

function sortedEntries(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Stack signature without runtime frames, cached per stack index. */
function signatures(snapshot: Snapshot): (stack: number) => string {
  const cache = new Map<number, string>();
  return (stack) => {
    let signature = cache.get(stack);
    if (signature === undefined) {
      signature = (snapshot.stacks[stack] ?? [])
        .map((id) => snapshot.frames[id]!)
        .filter((f) => !f.fn.startsWith('runtime.') && !f.fn.startsWith('internal/runtime/'))
        .map((f) => `${f.fn}:${f.line}`)
        .join('|');
      cache.set(stack, signature);
    }
    return signature;
  };
}
