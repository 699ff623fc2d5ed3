/**
 * The words for a Node snapshot whose agent watched only part of the time
 * (to stay within its CPU budget). Snapshots carry the share as a number
 * (Snapshot.watchedShare); a series says it once, with the range of
 * shares. Files written before that field carry the sentence among their
 * warnings, and it is still read back from there.
 */
import type { Snapshot } from './format.js';

const TAIL = 'to stay within its CPU budget; counts are estimates scaled from what it saw (--track all watches everything)';
// Built from TAIL, so the text written and the text read back cannot drift apart.
const PATTERN = new RegExp(`^the agent watched (?:about (\\d+)%|under 10%) of the time ${TAIL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/**
 * In percent, rounded to tens (0 for under 10%), so the snapshots of one
 * attach mostly say the same; never 100, which would contradict the
 * estimates the same sentence announces (a share this is called for is
 * under 1).
 */
export function roundedShare(dutyCycle: number): number {
  return dutyCycle >= 0.1 ? Math.min(90, Math.round(dutyCycle * 10) * 10) : 0;
}

function shareText(percent: number): string {
  return percent === 0 ? 'under 10%' : `about ${percent}%`;
}

/** The warning for one snapshot whose agent watched `dutyCycle` (0–1) of the time. */
export function samplingWarning(dutyCycle: number): string {
  return `the agent watched ${shareText(roundedShare(dutyCycle))} of the time ${TAIL}`;
}

/** The share (in percent, 0 for "under 10%") a sampling warning states, or undefined for any other warning. */
export function shareOfSamplingWarning(warning: string): number | undefined {
  const match = PATTERN.exec(warning);
  if (match === null) return undefined;
  return match[1] === undefined ? 0 : Number(match[1]);
}

/** One line for a series in which `shares.length` of `snapshots` snapshots were sampled. */
export function seriesSamplingWarning(shares: readonly number[], snapshots: number): string {
  const low = Math.min(...shares);
  const high = Math.max(...shares);
  const watched = low === high ? shareText(low) : low === 0 ? `up to ${high}%` : `${low}% to ${high}%`;
  const where = shares.length === 1 && snapshots === 1 ? '' : ` in ${shares.length} of ${snapshots} snapshots`;
  return `the agent watched ${watched} of the time${where} ${TAIL}`;
}

/** Everything a snapshot warns of, in words: the watched share first, then its warnings. */
export function snapshotWarnings(snapshot: Snapshot): string[] {
  const warnings = snapshot.warnings ?? [];
  return snapshot.watchedShare !== undefined ? [samplingWarning(snapshot.watchedShare), ...warnings] : warnings;
}
