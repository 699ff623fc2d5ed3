import type { Command } from 'commander';
import { InputError } from '../../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { assertReportWritable, snapshotCount } from '../../session/sampling-session.js';
import type { SamplingFlags } from '../../session/sampling-session.js';
import { sampleLiveTarget } from '../../session/live-session.js';
import { addLiveSamplingOptions, addOutputOptions, readSettings } from '../sampling-options.js';
import type { LiveTargetFlags } from '../live-target-options.js';

export interface AttachFlags extends SamplingFlags, AnalysisFlags, LiveTargetFlags {
  url?: string;
}

export const ATTACH_DEFAULTS = { interval: 5, count: 12 };

export function registerAttach(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('attach')
    .description('sample a running Go or Node.js process by pid over time and rank leak suspects')
    .argument('<pid>', 'process id of the target')
    .option('--url <url>', 'Go: the pprof endpoint to use instead of finding it from the pid');
  addLiveSamplingOptions(command, ATTACH_DEFAULTS);
  addOutputOptions(command);
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
Go: leakscan finds the pprof endpoint by asking each TCP port the process
listens on for /debug/pprof/; it never sends a signal to a Go process.
Node.js: leakscan opens the inspector with SIGUSR1 (after checking from its
executable that the pid is Node, that it catches SIGUSR1, that the inspector
would listen on loopback only and that its port is free), checks process.pid
over it, injects an async_hooks agent, and on detach removes the agent and
closes the inspector again. The agent costs at most about --agent-budget of
a core: in a busy process it watches in windows and scales what it saw (the
report says so). Stacks come from the native addon when it is built for the
target's Node ABI, else from JavaScript (leakscan doctor tells which).
Snapshots are saved as they are taken; Ctrl-C stops early and still
analyses them.

Exit codes: 0 done (leaks or not: use leakscan check to gate), 2 usage,
input or output error, 3 the target could not be reached or read (or went
away: what was taken is still ranked), 70 a bug in leakscan, 130/143 a
second Ctrl-C or SIGTERM quit at once.

Examples:
  leakscan attach 4242
  leakscan attach 4242 --interval 10s --duration 5m --out before-fix/
  leakscan attach 4242 --url http://127.0.0.1:6060 --json > suspects.json`,
    )
    .action((pid: string, flags: AttachFlags) => run(() => attachCommand(pid, flags)));
}

async function attachCommand(pidText: string, flags: AttachFlags): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const pid = parsePid(pidText);
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const analysis = await resolveAnalysisOptions(flags);
  await assertReportWritable(flags);
  const address = { kind: 'pid' as const, pid, choose: askWhichProgram, ...(flags.url !== undefined ? { url: flags.url } : {}) };
  return sampleLiveTarget({ address, settings: readSettings(flags), ...(flags.out !== undefined ? { out: flags.out } : {}), count, flags, analysis, say });
}

export function parsePid(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new InputError(`not a pid: ${text}`);
  return Number(text);
}

/** On a terminal, asks which of several programs under a launcher to attach to; undefined without one (CI) or without an answer. */
export async function askWhichProgram(pid: number, launcher: string, choices: string[]): Promise<number | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    process.stderr.write(`pid ${pid} is ${launcher}, a launcher running ${choices.length} programs:\n`);
    choices.forEach((c, i) => process.stderr.write(`  ${i + 1}) ${c}\n`));
    const answer = Number((await prompt.question(`attach to which (1-${choices.length})? `)).trim());
    return Number.isInteger(answer) && answer >= 1 && answer <= choices.length ? answer - 1 : undefined;
  } finally {
    prompt.close();
  }
}
