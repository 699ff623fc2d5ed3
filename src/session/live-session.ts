/**
 * One session on one live target, shared by attach, run, check on a live
 * target and demo: find the target, make the output directory, open the
 * target, sample it, and always let go of it again (for a program leakscan
 * started: stop it, unless told not to).
 */
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPprofAddress, findTarget, openTarget } from '../targets/open.js';
import type { ChooseProgram, FoundTarget, LiveTarget, ReadSettings, TargetAddress } from '../targets/open.js';
import { withStartedProgram } from '../targets/launch.js';
import { makeDirectory } from '../util/make-directory.js';
import { timestampName } from '../util/names.js';
import { makeDefaultOutputDirectory } from '../util/output-root.js';
import { runSamplingSession } from './sampling-session.js';
import type { SessionOptions } from './sampling-session.js';
import { samplingPlan } from './sampling-progress.js';

/** A running process by pid, a Go pprof endpoint by URL, or a command for leakscan to start. */
export type LiveAddress =
  | { kind: 'pid'; pid: number; url?: string; choose: ChooseProgram }
  | { kind: 'url'; url: string }
  | { kind: 'command'; argv: readonly string[]; waitSeconds: number; url?: string; stop: boolean };

export interface LiveSessionOptions extends Omit<SessionOptions, 'take' | 'outDir'> {
  address: LiveAddress;
  settings: ReadSettings;
  /** The snapshot directory; default: a new one under the output root, named after the pid (or "url", "run"). */
  out?: string;
  /** The line said once the target is open, instead of the one for `address`; undefined says nothing. */
  intro?: (target: LiveTarget, plan: string, outDir: string) => string | undefined;
}

/** Samples one live target and prints the result (or hands it to `output`); returns the exit code. */
export async function sampleLiveTarget(options: LiveSessionOptions): Promise<number> {
  const { address, say } = options;
  if (address.url !== undefined) checkPprofAddress(address.url);
  if (address.kind !== 'command') {
    const found = await findTarget(address, say);
    const outDir = options.out ?? (await makeDefaultOutputDirectory(timestampName(found.pid !== undefined ? `leakscan-${found.pid}` : 'leakscan-url')));
    try {
      return await sampleFound(found, address, outDir, options);
    } finally {
      // A directory leakscan named and nothing was written to (the target
      // could not be read at all) is not left behind; rmdir spares any other.
      if (options.out === undefined) await rmdir(outDir).catch(() => undefined);
    }
  }
  const outDir = options.out ?? (await makeDefaultOutputDirectory(timestampName('leakscan-run')));
  await makeDirectory(outDir);
  const logFile = join(outDir, 'program.log');
  const start = { argv: address.argv, logFile, agent: options.settings.node.agent, waitSeconds: address.waitSeconds, stop: address.stop, say };
  return withStartedProgram(start, async (program) => {
    const where: TargetAddress = {
      kind: 'program',
      program,
      waitSeconds: address.waitSeconds,
      logFile,
      ...(address.url !== undefined ? { url: address.url } : {}),
    };
    return sampleFound(await findTarget(where, say), address, outDir, options);
  });
}

async function sampleFound(found: FoundTarget, address: LiveAddress, outDir: string, options: LiveSessionOptions): Promise<number> {
  const { say, settings, address: _address, out: _out, intro, ...session } = options;
  // The output directory first: an --out that cannot be made is found before
  // anything is sent to the target.
  await makeDirectory(outDir);
  const target = await openTarget(found, settings, say);
  try {
    const plan = samplingPlan(session.count, session.flags.interval);
    const line = intro !== undefined ? intro(target, plan, outDir) : introLine(target, found, address, plan, outDir);
    if (line !== undefined) say(line);
    return await runSamplingSession({ ...session, say, outDir, take: (turn) => target.snapshot(turn) });
  } finally {
    await target.close();
  }
}

/** What was opened and what sampling will do, as attach, check and run have always said it. */
function introLine(target: LiveTarget, found: FoundTarget, address: LiveAddress, plan: string, outDir: string): string {
  if (target.runtime === 'node') {
    if (address.kind === 'command') return `Node.js ${target.nodeVersion} (pid ${target.pid}), agent loaded at start; taking ${plan} into ${outDir}`;
    const inspector = `inspector ${target.openedInspector ? 'opened by leakscan' : 'already open'} on port ${target.inspectorPort}`;
    return `attached to Node.js process ${target.pid} (${target.nodeVersion}); ${inspector}; taking ${plan} into ${outDir}`;
  }
  if (address.kind === 'url') return `sampling ${target.url}: ${plan} into ${outDir}`;
  if (address.kind === 'command') return `pprof at ${target.url} (pid ${target.pid}); taking ${plan} into ${outDir}`;
  const exe = found.runtime === 'go' && found.info?.exe ? `, ${found.info.exe}` : '';
  return `attached to Go process ${target.pid} (${found.runtime === 'go' ? found.runtimeVersion : ''}${exe}); pprof at ${target.url}\ntaking ${plan} into ${outDir}`;
}
