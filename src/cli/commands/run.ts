import type { Command } from 'commander';
import { addNodeAgentOptions } from '../node-agent-options.js';
import type { NodeAgentFlags } from '../node-agent-options.js';
import { InputError } from '../../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { assertReportWritable, snapshotCount } from '../../session/sampling-session.js';
import type { SamplingFlags, SessionOutput } from '../../session/sampling-session.js';
import { sampleLiveTarget } from '../../session/live-session.js';
import { addSamplingOptions, readSettings } from '../sampling-options.js';
import { pauseBudget, positiveSeconds } from '../options.js';
import { DEFAULT_PAUSE_BUDGET_MS } from '../../targets/go/pause-budget.js';
import { ATTACH_DEFAULTS } from './attach.js';
import { addEvidencePauseOption } from '../live-target-options.js';

export interface RunFlags extends SamplingFlags, AnalysisFlags, Partial<NodeAgentFlags> {
  wait: number;
  stop: boolean;
  url?: string;
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
  /** Go: the worst pause per snapshot, in milliseconds (Infinity: none). */
  pauseBudget?: number;
  /** Go: the worst pause of the full dumps at the first and last snapshot, in milliseconds (0: none). */
  evidencePause?: number;
}

export function registerRun(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('run')
    .description('start a Go or Node.js program, sample it over time and rank leak suspects')
    .argument('<command...>', 'the program and its arguments (put them after --)')
    .option(
      '--wait <duration>',
      'how long to wait for the program to be readable: a Go program to serve pprof, a Node.js program to open the inspector leakscan gives it',
      positiveSeconds,
      30,
    )
    .option('--no-stop', 'leave the program running when sampling ends (default: stop it)')
    .option('--url <url>', "the pprof endpoint, when it cannot be found from the program's sockets")
    .option('--timeout <duration>', 'give up on a snapshot request after this long', positiveSeconds, 30)
    .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak')
    .option('--no-labels', 'do not give goroutines of a full dump the pprof labels of the count profile')
    .option(
      '--pause-budget <duration>',
      `Go: the worst pause a snapshot may cause the target (default ${DEFAULT_PAUSE_BUDGET_MS}ms; 1s, 500us, none): full dumps (ids, wait reasons) only when they fit, counts per stack always`,
      pauseBudget,
    );
  addEvidencePauseOption(command);
  addNodeAgentOptions(command);
  addSamplingOptions(command, ATTACH_DEFAULTS);
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
The program's output goes to program.log in the snapshot directory. A program
started through \`go run\`, npm or a shell is found among the started process's
descendants. Node.js programs get leakscan's agent preloaded (NODE_OPTIONS
--require) so it sees every async resource from the first line, and an
inspector on a random loopback port for leakscan to read it. The agent runs
on the main thread only (resources made inside worker threads are not
tracked); child Node processes close the inspector they inherited once
leakscan can no longer reach them (--wait plus 10 s), and --no-stop closes
the program's own when leakscan detaches.

Exit codes: 0 done (leaks or not: use leakscan check -- <command> to gate),
2 usage, input or output error, 3 the program exited or was not readable
within --wait (or went away while sampled: what was taken is still
ranked), 70 a bug in leakscan, 130/143 a second Ctrl-C or SIGTERM quit at
once.

Examples:
  leakscan run -- ./bin/api-server --config dev.yaml
  leakscan run --duration 2m --interval 10s -- go run ./cmd/gateway
  leakscan run --count 6 -- node server.js`,
    )
    .action((argv: string[], flags: RunFlags) => run(() => runCommand(argv, flags)));
}

/** Starts a program, samples it and prints the result (or hands it to `output`). */
export async function runCommand(argv: string[], flags: RunFlags, output?: SessionOutput): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (argv.length === 0) throw new InputError('no program to run: leakscan run -- <command...>');
  const count = snapshotCount(flags, ATTACH_DEFAULTS.count);
  const analysis = await resolveAnalysisOptions(flags);
  await assertReportWritable(flags);
  const address = { kind: 'command' as const, argv, waitSeconds: flags.wait, stop: flags.stop, ...(flags.url !== undefined ? { url: flags.url } : {}) };
  return sampleLiveTarget({
    address,
    settings: readSettings(flags),
    ...(flags.out !== undefined ? { out: flags.out } : {}),
    ...(output !== undefined ? { output } : {}),
    count,
    flags,
    analysis,
    say,
  });
}
