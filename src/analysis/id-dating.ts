/**
 * History before the window, read from task ids.
 *
 * Go hands out goroutine ids from one counter, in creation order (in small
 * per-processor batches, so the order holds to within a few dozen ids);
 * Node's async ids come from one counter too. So the highest id in a
 * snapshot is the process's clock of "tasks created so far", and a task's
 * id says when, on that clock, it was made. Set against how fast the clock
 * ran during the window, the id gap dates a task in minutes.
 *
 * What the ids of a site's long-lived tasks look like:
 * - a pool started with the process: a tight block among the first ids;
 * - a burst (an outage that leaked hundreds at once): a tight block later on;
 * - a leak that has been accumulating: ids spread over the whole history
 *   since it started, because every stretch of the process's life left some.
 */

import type { SeriesResult } from './series.js';
import type { StayingSummary } from './staying.js';

/** The process's id clock at one snapshot: when, and the highest id seen. */
export interface IdClockReading {
  time: number;
  maxId: number;
}

export interface IdDating {
  oldestId: number;
  newestId: number;
  /** The highest id in the process when the site was first looked at. */
  clock: number;
  /** Ids handed out per minute during the window; undefined if the clock did not move. */
  idsPerMinute?: number;
  /** Minutes before the first look at which the oldest / newest task was created, at the window's id rate. */
  oldestMinutesAgo?: number;
  newestMinutesAgo?: number;
  /**
   * 0..1: whether the tasks were made steadily over a long stretch of the
   * process's life: their spread, counted only when, at the window's id
   * rate, making them took longer than the window itself (a burst a few
   * seconds long is spread over the ids of a young process, but it is a
   * burst). Without a rate, the spread alone.
   */
  accumulation: number;
  /** All made in the first 5% of the process's ids: started with the program. */
  startedWithProcess: boolean;
  /**
   * 0..1: how much of the process's history the tasks are spread over, in
   * tenths of its ids, counting only tenths after the first that hold one.
   * 0 for a block made at one moment, 1 for a site that left tasks in every
   * tenth of the process's life.
   */
  spread: number;
}

const BINS = 10;
const STARTUP_SHARE = 0.05;

/**
 * Dates `ids` (the site's tasks alive at `firstLook`) against the id clock
 * of the series. `firstLook` is the clock reading of the snapshot where the
 * site was first looked at; `readings` are all clock readings, for the rate.
 */
export function dateIds(ids: readonly number[], firstLook: IdClockReading, readings: readonly IdClockReading[], windowMinutes: number): IdDating | undefined {
  if (ids.length === 0 || firstLook.maxId <= 0) return undefined;
  let oldestId = Infinity;
  let newestId = -Infinity;
  for (const id of ids) {
    if (id < oldestId) oldestId = id;
    if (id > newestId) newestId = id;
  }
  const clock = Math.max(firstLook.maxId, newestId);
  const bins = new Set<number>();
  for (const id of ids) bins.add(Math.min(BINS - 1, Math.floor((id / (clock + 1)) * BINS)));
  const dating: IdDating = {
    oldestId,
    newestId,
    clock,
    startedWithProcess: newestId <= STARTUP_SHARE * clock,
    spread: (bins.size - 1) / (BINS - 1),
    accumulation: 0,
  };
  dating.accumulation = dating.spread;
  const rate = idsPerMinute(readings);
  if (rate !== undefined) {
    dating.idsPerMinute = rate;
    dating.oldestMinutesAgo = (clock - oldestId) / rate;
    dating.newestMinutesAgo = (clock - newestId) / rate;
    if ((newestId - oldestId) / rate < windowMinutes) dating.accumulation = 0;
  }
  return dating;
}

/** The id clock's rate over the readings: first to last, so short bursts in between do not matter. */
export function idsPerMinute(readings: readonly IdClockReading[]): number | undefined {
  if (readings.length < 2) return undefined;
  const first = readings[0]!;
  const last = readings[readings.length - 1]!;
  const minutes = (last.time - first.time) / 60_000;
  if (minutes <= 0 || last.maxId <= first.maxId) return undefined;
  return (last.maxId - first.maxId) / minutes;
}

/** The series' id clock: one reading per snapshot that carried ids. */
export function idClockReadings(series: SeriesResult): IdClockReading[] {
  const readings: IdClockReading[] = [];
  series.idClock.forEach((maxId, i) => {
    if (maxId !== undefined) readings.push({ time: series.times[i]!, maxId });
  });
  return readings;
}

/** Dates the ids of a site's staying tasks from the look they were first seen at; undefined when that look had no id clock. */
export function dateStayingIds(series: SeriesResult, staying: StayingSummary, windowMinutes: number): IdDating | undefined {
  const firstClock = series.idClock[staying.firstIndex];
  if (firstClock === undefined) return undefined;
  return dateIds(staying.ids, { time: series.times[staying.firstIndex]!, maxId: firstClock }, idClockReadings(series), windowMinutes);
}

/** How long the process had run at snapshot `index`, in minutes; undefined when its start is unknown. */
export function processMinutesAt(series: SeriesResult, index: number): number | undefined {
  const startedAt = series.sources[index]?.startedAt;
  return startedAt === undefined ? undefined : Math.max(0, (series.times[index]! - startedAt) / 60_000);
}
