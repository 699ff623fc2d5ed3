/**
 * No progress: which tasks of a site stayed in the same state at the same
 * frame at every snapshot that carried task ids.
 *
 * A worker that takes a job between two snapshots is usually caught at its
 * wait again, so a task seen in the same place twice may still be working;
 * but a task that left its frame, changed state or finished at any snapshot
 * certainly moved, and a site where tasks come and go (churn) is alive.
 * What stays are the candidates for "stuck": the same ids, in the same
 * blocking frame, at every look, with nothing around them moving.
 *
 * Only snapshots with ids can tell one task from another. Snapshots with
 * counts only (a cheap ?debug=1 between full dumps) can still say the
 * site never held fewer tasks than the ones that stayed; if it did, some of
 * them must have left and come back, which a stuck task does not. A site
 * missing from such a snapshot says nothing: aggregated profiles carry no
 * `created by` line, so the same tasks may be filed under a key without
 * their creator there.
 *
 * Memory is one entry per task of the site at its first snapshot with ids,
 * shrinking as tasks move: not per snapshot.
 */

/** What a task looks like at one snapshot, as far as progress goes. */
export interface TaskPlace {
  /** State and innermost frame: a task that changes either has moved. */
  place: string;
  state: string;
  waitMinutes?: number;
}

export interface StayingSummary {
  /** Tasks that stayed put at every snapshot with ids, capped by the lowest count seen in between. */
  count: number;
  /** Their ids, for dating (only the numeric ones). */
  ids: number[];
  /** Their states, with counts. */
  states: Map<string, number>;
  /** Indices of the first and last snapshot with ids that the site was watched over. */
  firstIndex: number;
  lastIndex: number;
  /** Snapshots with ids that the site was watched over. */
  looks: number;
  /** Tasks that finished or left the site between snapshots with ids. */
  gone: number;
  /** Tasks that were still there but had changed state or frame. */
  moved: number;
  /** The longest `N minutes` wait the runtime printed for one of them. */
  maxWaitMinutes?: number;
}

export class StayingTasks {
  private tasks: Map<string, TaskPlace> | undefined;
  private previous: Set<string> | undefined;
  private firstIndex = -1;
  private lastIndex = -1;
  private looks = 0;
  private gone = 0;
  private moved = 0;
  private lowestCountBetween = Infinity;

  /** A snapshot with ids: `now` holds the site's tasks in it (empty when the site had none). */
  look(index: number, now: Map<string, TaskPlace>): void {
    if (this.tasks === undefined) {
      if (now.size === 0) return;
      this.tasks = new Map(now);
      this.previous = new Set(now.keys());
      this.firstIndex = this.lastIndex = index;
      this.looks = 1;
      return;
    }
    for (const id of this.previous!) if (!now.has(id)) this.gone++;
    for (const [id, before] of this.tasks) {
      const after = now.get(id);
      if (after === undefined) {
        this.tasks.delete(id);
      } else if (after.place !== before.place) {
        this.tasks.delete(id);
        this.moved++;
      } else if (after.waitMinutes !== undefined) {
        before.waitMinutes = after.waitMinutes;
      }
    }
    this.previous = new Set(now.keys());
    this.lastIndex = index;
    this.looks++;
  }

  /** A snapshot with counts only: the site held `count` tasks. */
  count(count: number): void {
    if (this.tasks !== undefined && count > 0) this.lowestCountBetween = Math.min(this.lowestCountBetween, count);
  }

  summary(): StayingSummary | undefined {
    if (this.tasks === undefined) return undefined;
    const states = new Map<string, number>();
    const ids: number[] = [];
    let maxWaitMinutes: number | undefined;
    for (const [id, task] of this.tasks) {
      states.set(task.state, (states.get(task.state) ?? 0) + 1);
      const n = Number(id);
      if (Number.isSafeInteger(n)) ids.push(n);
      if (task.waitMinutes !== undefined) maxWaitMinutes = Math.max(maxWaitMinutes ?? 0, task.waitMinutes);
    }
    const summary: StayingSummary = {
      count: Math.min(this.tasks.size, this.lowestCountBetween),
      ids,
      states,
      firstIndex: this.firstIndex,
      lastIndex: this.lastIndex,
      looks: this.looks,
      gone: this.gone,
      moved: this.moved,
    };
    if (maxWaitMinutes !== undefined) summary.maxWaitMinutes = maxWaitMinutes;
    return summary;
  }
}
