/**
 * The part attach, run and demo share: sample a target at an interval into a
 * directory, show progress on stderr, handle Ctrl-C, then print the ranked
 * suspects. Whatever was taken is analysed, even when the target dies.
 */
import { Analyzer } from '../analysis/analyze.js';
import type { Analysis, AnalysisOptions } from '../analysis/analyze.js';
import type { Snapshot } from '../model/format.js';
import type { SnapshotTurn } from '../targets/target.js';
import { sampleSeries } from './sampler.js';
import { renderDiff } from '../report/diff-text.js';
import { diffJson } from '../report/diff-json.js';
import { ExitCode, LeakscanError, OutputError, TargetError } from '../util/errors.js';
import { formatDuration } from '../util/duration.js';
import { describeFsError } from '../util/atomic-write.js';
import { snapshotProgressLine } from './sampling-progress.js';
import { writeHtmlReport } from '../report/html-file.js';
import { plural, safeText, terminalWidth } from '../report/format.js';
import { dirname, join } from 'node:path';
import { access, constants, stat } from 'node:fs/promises';

export interface SamplingFlags {
  /** Where to write the HTML report; false for none. Default: report.html in the snapshot directory. */
  html?: string | false;
  interval: number;
  count?: number;
  duration?: number;
  out?: string;
  top: number;
  minScore?: number;
  json: boolean;
  frames: number;
}

/**
 * An --html path that cannot be written is refused before anything is sent
 * to the target: finding out after minutes of sampling loses the report.
 */
export async function assertReportWritable(flags: Pick<SamplingFlags, 'html'>): Promise<void> {
  if (typeof flags.html !== 'string') return;
  const path = flags.html;
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new OutputError(`cannot write the report to ${path}: it is a directory`);
  try {
    await access(existing ? path : dirname(path), constants.W_OK);
  } catch (error) {
    throw new OutputError(`cannot write the report to ${path}: ${describeFsError(error)}`);
  }
}

export function snapshotCount(flags: Pick<SamplingFlags, 'count' | 'duration' | 'interval'>, defaultCount: number): number {
  if (flags.count !== undefined && flags.duration !== undefined) {
    throw new LeakscanError('give --count or --duration, not both', ExitCode.usage);
  }
  if (flags.duration !== undefined) {
    // A series is two snapshots at the least, one --interval apart: a shorter --duration would be stretched without a word.
    if (flags.duration < flags.interval) {
      throw new LeakscanError(
        `--duration ${formatDuration(flags.duration)} is shorter than --interval ${formatDuration(flags.interval)}: a series needs two snapshots one interval apart; lengthen --duration or shorten --interval`,
        ExitCode.usage,
      );
    }
    return Math.floor(flags.duration / flags.interval) + 1;
  }
  return flags.count ?? defaultCount;
}

/**
 * Prints or writes the result of a session; returns the exit code. Default:
 * the ranked suspects. `interruptedBy` is the signal that cut the sampling
 * short, if one did, and `failedBy` the error that did (the target exited):
 * the analysis then covers only what was taken.
 */
export type SessionOutput = (analysis: Analysis, interruptedBy?: InterruptSignal, failedBy?: LeakscanError) => Promise<number>;

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** The shell's convention for a command ended by a signal: 128 + its number. */
export const INTERRUPTED_EXIT: Record<InterruptSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export interface SessionOptions {
  take: (turn: SnapshotTurn) => Promise<Snapshot | null>;
  output?: SessionOutput;
  count: number;
  outDir: string;
  flags: SamplingFlags;
  analysis: AnalysisOptions & { minScore?: number };
  say: (line: string) => void;
}

/** Runs the sampling and prints the result; returns the exit code. */
export async function runSamplingSession(options: SessionOptions): Promise<number> {
  const { flags, say, count } = options;
  const analyzer = new Analyzer(options.analysis);
  const abort = new AbortController();
  // Ctrl-C and SIGTERM (a CI job cancelled, a container stopped) both stop
  // sampling after the current snapshot, so a Node target is still detached.
  let interruptedBy: InterruptSignal | undefined;
  const onInterrupt = (signal: InterruptSignal) => {
    if (interruptedBy !== undefined) process.exit(INTERRUPTED_EXIT[signal]);
    interruptedBy = signal;
    say(`stopping after the current snapshot (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  let taken = 0;
  let result;
  try {
    result = await sampleSeries({
      count,
      intervalMs: flags.interval * 1000,
      outDir: options.outDir,
      take: options.take,
      signal: abort.signal,
      onSnapshot: (i, snapshot, file) => {
        taken++;
        analyzer.add(snapshot, file);
        say(snapshotProgressLine(i, count, snapshot, analyzer));
      },
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
  const stopped = result.stoppedBy;
  if (taken === 0) {
    if (stopped instanceof LeakscanError) throw stopped;
    throw new TargetError('no snapshot was taken');
  }
  const analysis = analyzer.finish();
  const minScore = flags.minScore ?? options.analysis.minScore ?? 0;
  let outputCode: number = ExitCode.ok;
  if (options.output) {
    outputCode = await options.output(analysis, stopped === 'aborted' ? interruptedBy : undefined, stopped instanceof LeakscanError ? stopped : undefined);
  } else if (flags.json) {
    process.stdout.write(JSON.stringify(diffJson(analysis, { top: flags.top, minScore }), null, 2) + '\n');
  } else {
    process.stdout.write(renderDiff(analysis, { top: flags.top, minScore, frames: flags.frames, ...terminalWidth() }));
  }
  say(`${plural(taken, 'snapshot')} saved in ${options.outDir}; analyse them again with: leakscan diff ${options.outDir}`);
  // When a snapshot could not be written (a full disk), the report most
  // likely cannot be either: the one line below says so, rather than a second
  // failure. `leakscan report` makes it later from the saved snapshots.
  const skipReport = flags.html !== false && stopped instanceof OutputError;
  if (flags.html !== false && !skipReport) {
    await writeHtmlReport(flags.html ?? join(options.outDir, 'report.html'), analysis, options.analysis.groupBy, say);
  }
  if (stopped instanceof LeakscanError) {
    say(`leakscan: ${safeText(stopped.message)}; the ranking above uses the ${taken} taken${skipReport ? ', and no HTML report was written' : ''}`);
    return outputCode !== ExitCode.ok ? outputCode : stopped.exitCode;
  }
  // An output of its own (check's gate) says what an interruption means for it: no verdict, nothing analysed.
  if (stopped === 'aborted' && !options.output) say(`interrupted: analysed the ${plural(taken, 'snapshot')} taken`);
  return outputCode;
}
