/**
 * Where the agent's timers call back to. The agent records a timer with the
 * stack that made it (`openSession`, which called `setInterval`); the census
 * names a timer by its callback (`(anonymous)` at the line of the arrow
 * function), the only place it can tell for a timer made before attach. One
 * leak made both before and after attach then read as two sites, the old
 * pile at the callback and the new timers at the creation stack. The census
 * reads every armed timer, the agent's too, and says which of them the agent
 * tracks; this remembers each such timer's callback, so the agent's record
 * gets the callback's frame on top of its stack (the site both agree on)
 * with the creation stack under it.
 *
 * Intervals only. An interval is one timer for its whole life, so the
 * census's old ones and the agent's new ones are the same kind of task. A
 * one-shot timer that re-arms itself (a retry, a polling loop) is a chain
 * the agent follows link by link (its lineage); links made before attach
 * fire and are replaced by links the agent cannot tie to them, so on one
 * site with them the chain would read as tasks that ended, not as one that
 * lives on. Such a chain keeps its creation stack until the agent can link
 * across the attach.
 *
 * A timer's callback is learned once and kept while the agent tracks the
 * timer: when the census reads only a sample of the timers, a timer not read
 * this time keeps the site it had, so no site swaps tasks between snapshots.
 */
import type { CodeLocation, LocatedGroup } from './census-reader.js';

export interface TimerCallback {
  location: CodeLocation;
  /** What the census says the timer is: "setInterval 1000 ms". */
  resource: string;
}

export class TimerCallbacks {
  private readonly byId = new Map<number, TimerCallback>();

  /** Learns the callbacks of the tracked timers the census read. */
  learn(groups: readonly LocatedGroup[]): void {
    for (const group of groups) {
      if (group.kind !== 'Timeout' || !group.resource.startsWith('setInterval ') || group.location === undefined) continue;
      const callback = { location: group.location, resource: group.resource };
      for (const id of group.tracked) this.byId.set(id, callback);
    }
  }

  /** Forgets the timers the agent no longer tracks (ended), so memory follows what is live. */
  keepOnly(trackedIds: ReadonlySet<number>): void {
    for (const id of this.byId.keys()) if (!trackedIds.has(id)) this.byId.delete(id);
  }

  get(asyncId: number): TimerCallback | undefined {
    return this.byId.get(asyncId);
  }
}
