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
import { isGoRuntimeFunction } from '../../model/runtime-frames.js';
import type { Snapshot } from '../../model/format.js';
import { copyDictionary, emptyDictionary, ownValue } from '../../model/dictionary.js';
import type { Dictionary } from '../../model/dictionary.js';

export function attachProfileLabels(dump: Snapshot, profile: Snapshot): void {
  const labelsBySignature = new Map<string, { common: Dictionary<string>; partial: boolean }>();
  const profileSignature = stackSignatures(profile);
  for (const task of profile.tasks) {
    const signature = profileSignature(task.stack);
    const labels = task.labels ?? emptyDictionary<string>();
    const seen = labelsBySignature.get(signature);
    if (seen === undefined) {
      labelsBySignature.set(signature, { common: copyDictionary(labels), partial: false });
      continue;
    }
    for (const [key, value] of Object.entries(seen.common)) {
      if (ownValue(labels, key) !== value) {
        delete seen.common[key];
        seen.partial = true;
      }
    }
    if (Object.keys(labels).some((key) => !Object.hasOwn(seen.common, key))) seen.partial = true;
  }
  const dumpSignature = stackSignatures(dump);
  let partial = 0;
  for (const task of dump.tasks) {
    const match = labelsBySignature.get(dumpSignature(task.stack));
    if (match === undefined) continue;
    if (match.partial) partial++;
    if (Object.keys(match.common).length > 0) task.labels = copyDictionary(match.common);
  }
  if (partial > 0) {
    (dump.warnings ??= []).push(
      // No count in the text: a series of snapshots repeats it once, not once per count.
      "some goroutines share their stack with goroutines of other pprof labels: only the labels they have in common are known (Go 1.26+ with GODEBUG=tracebacklabels=1 prints each goroutine's own)",
    );
  }
}

/**
 * Stack signature without runtime frames, cached per stack index: the same
 * for a goroutine's stack in a full dump and in a count profile, which show
 * different runtime frames.
 */
export function stackSignatures(snapshot: Snapshot): (stack: number) => string {
  const cache = new Map<number, string>();
  return (stack) => {
    let signature = cache.get(stack);
    if (signature === undefined) {
      signature = (snapshot.stacks[stack] ?? [])
        .map((id) => snapshot.frames[id]!)
        .filter((f) => !isGoRuntimeFunction(f.fn))
        .map((f) => `${f.fn}:${f.line}`)
        .join('|');
      cache.set(stack, signature);
    }
    return signature;
  };
}
