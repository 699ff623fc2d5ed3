/**
 * The leakscan snapshot file format, version 1.
 *
 * This file is the specification. Every command reads and writes snapshots in
 * this shape, so a field added here must be explained here.
 *
 * A snapshot is what one runtime looked like at one instant: every live task
 * (a goroutine in Go, an async resource in Node.js) with its stack. Files are
 * JSON, gzip-compressed when the file name ends in `.gz`.
 *
 * Frames and stacks are interned: a snapshot of 100,000 goroutines parked in
 * the same 30 places holds 30 stacks, not 100,000. Tasks refer to stacks by
 * index, stacks refer to frames by index.
 *
 * Versioning: `version` is a single major number. A reader accepts any file
 * whose version is at most its own and refuses a newer one with a clear
 * message. Additive, optional fields do not bump the version; any change
 * that an older reader would misread does.
 */

/** The value of `Snapshot.format`: tells a leakscan snapshot from other JSON. */
export const SNAPSHOT_FORMAT = 'leakscan.snapshot';

/** The newest snapshot version this build reads and the one it writes. */
export const SNAPSHOT_VERSION = 1;

export type Runtime = 'go' | 'node';

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: number;
  runtime: Runtime;
  /** When the snapshot was taken, milliseconds since the Unix epoch. */
  takenAt: number;
  source: SnapshotSource;
  /** Interned frames, shared by all stacks. */
  frames: Frame[];
  /**
   * Interned stacks: each an array of indices into `frames`, innermost frame
   * (where the task is now, or where it was created for Node) first.
   */
  stacks: number[][];
  tasks: Task[];
  /**
   * Things the reader should know about this snapshot, in plain words, e.g.
   * "dump truncated at 64 MiB by the Go runtime; 12,345 goroutines were read".
   */
  warnings?: string[];
  /**
   * Node: the share of the time (0 to 1) the agent watched, when it watched
   * only part of it to stay within its CPU budget; counts are then
   * estimates scaled from what it saw. Absent when it watched all the time.
   * (Files written before this field carry the same fact as a warning.)
   */
  watchedShare?: number;
  /**
   * The newest task id the runtime had handed out when the snapshot was
   * taken (Node: the async id counter). Ids are handed out in creation
   * order, so this, `takenAt` and `source.startedAt` from a series of
   * snapshots give the rate at which ids are handed out, which dates a task
   * by its id, even one created before the first snapshot. Absent when
   * unknown.
   */
  newestId?: string;
}

export interface SnapshotSource {
  /** Process id of the target, when known. */
  pid?: number;
  /** Where the data was fetched from (a pprof endpoint, an inspector URL). */
  url?: string;
  /** The file the data was read from, when it came from a file. */
  file?: string;
  /** The target's command line, when known. */
  command?: string;
  /** When the target process started, milliseconds since the Unix epoch, when known. */
  startedAt?: number;
  /** e.g. "go1.26.8" or "v20.20.2", when known. */
  runtimeVersion?: string;
  /**
   * Which kind of input the tasks were read from:
   * "debug=2" (a full goroutine dump: one entry per goroutine, with ids,
   * wait reasons, minutes and creators), "debug=1" (counts per stack, text),
   * "debug=0" (counts per stack, profile.proto), "goroutineleak?debug=2",
   * "goroutineleak?debug=1", "goroutineleak?debug=0", "traceback" (a panic or
   * runtime.Stack dump), or a Node source name.
   */
  profile?: string;
  /**
   * Go, sampled live under a pause budget: which view each number of this
   * snapshot comes from. Absent when the snapshot is one profile as it was
   * fetched (a file, `leakscan snapshot`, an explicit profile URL).
   */
  views?: SnapshotViews;
}

/**
 * A live Go target is read through two views. The cheap one, the count
 * profile (`goroutine?debug=1`), is collected while the program runs and
 * holds every goroutine, counted per stack and label set. The full dump
 * (`goroutine?debug=2` or `goroutineleak?debug=2`) stops the program while
 * the runtime formats every stack, and is cut at 64 MiB; it alone has
 * goroutine ids, wait reasons, wait minutes and `created by` frames. A
 * snapshot holds the count profile at every interval and the full dump only
 * when its pause fits the budget.
 */
export interface SnapshotViews {
  /**
   * The profile the task counts come from: the full dump's name ("debug=2",
   * "goroutineleak?debug=2") when it holds every goroutine, else "debug=1".
   */
  counts: string;
  /**
   * The full dump that ids, states, wait minutes and leak marks come from.
   * Absent: this snapshot has counts only (no task carries an id, states
   * are "unknown").
   */
  details?: string;
  /**
   * Goroutines read from the full dump. Fewer than the total when the dump
   * was cut at 64 MiB: the rest are counted from the count profile, without
   * ids.
   */
  detailTasks?: number;
  /** Goroutines the count profile counted when this snapshot was taken. */
  countedTasks?: number;
  /** The pause budget the choice was weighed against, in milliseconds. */
  pauseBudgetMs: number;
  /** The pause a full dump was expected to cause, in milliseconds. */
  estimatedPauseMs?: number;
  /**
   * When the full dump was skipped: "over-budget" (its estimated pause was
   * over the budget).
   */
  skipped?: 'over-budget';
  /**
   * A full dump over the pause budget, taken because this is the first or
   * last snapshot of the series: the evidence pause it was allowed, in
   * milliseconds.
   */
  evidencePauseMs?: number;
  /**
   * Counts only: when the full dump that taught each counted stack its
   * `created by` frame was taken (milliseconds since the Unix epoch). The
   * count profile has no creators: a stack takes those its goroutines had
   * in that dump, else those of the goroutines anchored at the same
   * function; a site that dump did not have keeps none, and is keyed
   * without one.
   */
  creatorsFrom?: number;
}

/** One stack frame. Only what survives a rebuild: no addresses, no offsets. */
export interface Frame {
  /**
   * Function name as the runtime names it, without arguments:
   * "main.(*server).handle", "net/http.(*conn).serve", "main.main.func1".
   */
  fn: string;
  /** Source file path as printed by the runtime; "" when unknown. */
  file: string;
  /** 1-based line number; 0 when unknown. */
  line: number;
}

/** One live task: a goroutine, or one Node async resource. */
export interface Task {
  /** Goroutine id or async id. Absent for aggregated input (see `count`) and for Node listeners (no async id). */
  id?: string;
  /** "goroutine", or the Node resource type: "Promise", "Timeout", "TCPWRAP", ... */
  kind: string;
  /**
   * What the task is doing. Go: the wait reason as printed in the dump
   * ("chan receive", "select", "IO wait", "sync.Mutex.Lock", "running", ...),
   * or "unknown" for aggregated input, which carries no state.
   * Node: "pending" or "active".
   */
  state: string;
  /** Index into `stacks`: Go, the current stack; Node, the creation stack. */
  stack: number;
  /**
   * Index into `stacks` of the stack that created this task. For Go this is
   * the single `created by` frame of the dump.
   */
  createdBy?: number;
  /** Id of the task that created this one (Go: `in goroutine N`, 1.21+; Node: the trigger async id). */
  creatorId?: string;
  /**
   * Go: the "N minutes" of the dump header. A lower bound that the runtime
   * only updates at garbage collections, and only prints from 1 minute on.
   */
  waitMinutes?: number;
  /**
   * Node: milliseconds since the resource was initialised. For a task the
   * census found (`origin: "census"`) the agent did not see it made: its age
   * is estimated from its async id, by where the id falls among the ids
   * handed out between the process's start and each snapshot (`newestId`).
   */
  ageMs?: number;
  /**
   * Node: "census" for a task found on the heap without hooks (a timer,
   * listener, socket or server, possibly made before leakscan attached)
   * rather than recorded by the agent when it was made. Its stack is the
   * location of its callback or listener function when the agent saw no
   * task like it made, or the agent's creation stack of tasks with the
   * same function when it did; a socket or server is named by its address.
   */
  origin?: 'census';
  /**
   * Node, a listener the census found: the most copies of it that one
   * emitter holds for its event, and that emitter's listener limit (its
   * `setMaxListeners`, else Node's default of 10; 0 when the program
   * removed the limit). Node warns of a possible leak past the limit
   * (MaxListenersExceededWarning); piled-listeners.ts reads the same count.
   */
  onOneEmitter?: { copies: number; limit: number };
  /**
   * Node: the id of the first resource of a chain in which each resource was
   * created by the previous one at the same place (a retry loop's timers, a
   * poller re-arming itself). Lifetime follows the chain: one logical task,
   * however short each link lives. Absent when the task starts its own chain.
   */
  lineage?: string;
  /**
   * pprof labels (Go) or resource details (Node: `resource` says what the
   * task holds in words, e.g. "Timeout: setInterval 1000 ms",
   * "listener: 'flush' listener on Shipper", "TCP socket to 127.0.0.1:6379").
   * Keys are the target's: in memory a null-prototype dictionary
   * (model/dictionary.ts), so that "__proto__" or "constructor" is a key
   * like any other.
   */
  labels?: Record<string, string>;
  /** Confirmed leaked by the runtime itself (Go's goroutine leak detector). */
  leaked?: true;
  /** Go: wired to its OS thread (`runtime.LockOSThread`). */
  lockedToThread?: true;
  /**
   * Go: frames the runtime left out of the printed stack, so `stack` is not
   * the whole stack. A deep stack prints "...N frames elided..." between its
   * innermost and outermost frames (Go 1.21+; N is counted here), or
   * "...additional frames elided..." after the frames it printed (counted
   * as 1: at least one). Go 1.19 and 1.20 cut deep stacks without a marker.
   */
  elidedFrames?: number;
  /**
   * Go: the runtime printed no stack for this goroutine ("goroutine running
   * on other thread; stack unavailable", in a crash dump): `stack` is empty
   * and says nothing of where it runs.
   */
  stackUnavailable?: true;
  /**
   * Go, count profiles (debug=1, debug=0): goroutines created but not yet
   * run when they were counted, whose recorded stack is runtime.goexit
   * alone ("1 @ 0x47d181", no frame lines). A `go` statement that passes
   * arguments or calls a method (`go f(x)`, `go c.read()`) starts a wrapper
   * the compiler made (cmd/compile typecheck normalizeGoDeferCall), and the
   * runtime's profile traceback leaves wrapper frames out (runtime
   * traceback.go tracebackPCs), so until the goroutine runs nothing of its
   * code is left. It waits on nothing and holds nothing yet, and where it
   * will run is unknown: it counts in the totals, but in no site. `stack`
   * is empty. A full dump prints the same goroutine with its wrapper frame
   * (`pkg.f.gowrap1`) and creator, so there it has a site.
   */
  notStarted?: true;
  /**
   * Aggregated input (debug=1, debug=0): how many tasks share this stack and
   * labels. Absent means 1.
   */
  count?: number;
}
