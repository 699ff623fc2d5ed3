/**
 * A live Go or Node process as a sampling session sees it: something that
 * gives one snapshot at a time and is let go of at the end. How it is found
 * and opened is targets/open.ts's question; what a session does with it is
 * session/live-session.ts's.
 */
import type { Snapshot } from '../model/format.js';

/** Which turn of a session a snapshot is taken for (0-based), out of how many: a target may read the first and last more fully. */
export interface SnapshotTurn {
  index: number;
  count: number;
}

export interface Target {
  readonly runtime: 'go' | 'node';
  /** The process read; undefined for a Go endpoint known only by its URL. */
  readonly pid: number | undefined;
  /** One snapshot, or null to skip this turn (the target has said why); throws a LeakscanError when the session must end. */
  snapshot(turn: SnapshotTurn): Promise<Snapshot | null>;
  /** Lets go of the target: nothing of leakscan's is left in it (for Node: agent removed, inspector closed if leakscan opened it). */
  close(): Promise<void>;
}
