/**
 * The warning a Node snapshot carries when the agent watched only part of
 * the time (to stay within its CPU budget), written into the snapshot as
 * text, and read back when a series is analysed so that a series says it
 * once, with the range of shares, instead of once per distinct share.
 */

const TAIL = 'to stay within its CPU budget; counts are estimates scaled from what it saw (--track all watches everything)';
// Built from TAIL, so the text written and the text read back cannot drift apart.
const PATTERN = new RegExp(`^the agent watched (?:about (\\d+)%|under 10%) of the time ${TAIL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** Rounded to tens, so the snapshots of one attach mostly say the same. */
function roundedShare(dutyCycle: number): number {
  return dutyCycle >= 0.1 ? Math.round(dutyCycle * 10) * 10 : 0;
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
