import { goSnapshotTaker } from '../targets/go/target.js';
import type { Snapshot } from '../model/format.js';
import type { SeriesPosition } from './sampler.js';

/** The flags of attach and run that shape how a Go target is read. */
export interface GoReadFlags {
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
  /** The worst pause a snapshot may cause the target, in milliseconds; Infinity for none. Default 10. */
  pauseBudget?: number;
  /** The worst pause of the full dumps at the first and last snapshot, in milliseconds; 0 for none. Default 200. */
  evidencePause?: number;
}

/** Takes snapshots of a Go target for a sampling session: retried once, skipped after, three failures in a row end it. */
export function goTaker(
  url: string,
  pid: number | undefined,
  runtimeVersion: string | undefined,
  flags: GoReadFlags,
  say: (line: string) => void,
): (position?: SeriesPosition) => Promise<Snapshot | null> {
  return goSnapshotTaker(url, {
    ...(pid !== undefined ? { pid } : {}),
    ...(runtimeVersion !== undefined ? { runtimeVersion } : {}),
    timeoutMs: flags.timeout * 1000,
    leakProfile: flags.leakProfile,
    labels: flags.labels,
    ...(flags.pauseBudget !== undefined ? { pauseBudgetMs: flags.pauseBudget } : {}),
    ...(flags.evidencePause !== undefined ? { evidencePauseMs: flags.evidencePause } : {}),
    say,
    maxConsecutiveFailures: 3,
    retryDelayMs: 1000,
    onSkip: say,
  });
}
