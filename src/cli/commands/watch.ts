import type { Command } from 'commander';
import { join } from 'node:path';
import { inspectProcess } from '../../targets/proc.js';
import { discoverPprof } from '../../targets/go/discover.js';
import { InputError, TargetError } from '../../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { positiveInt, positiveSeconds, score } from '../options.js';
import { timestampName } from '../../util/names.js';
import { parseListen } from '../../watch/listen-address.js';

interface WatchFlags extends AnalysisFlags {
  listen: string;
  allowRemoteListen: boolean;
  interval: number;
  window: number;
  threshold: number;
  keep: number;
  maxSites: number;
  timeout: number;
  out?: string;
}

export function registerWatch(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('watch')
    .description('watch a Go process or pprof endpoint continuously and serve per-site leak gauges for Prometheus')
    .argument('<pid|url>', 'process id of a Go program, or its pprof endpoint (host:port or URL)')
    .option('--listen <host:port>', 'serve /metrics here', '127.0.0.1:9465')
    .option('--allow-remote-listen', 'allow --listen on a non-loopback address (the metrics name your code sites)', false)
    .option('--interval <duration>', 'time between snapshots', positiveSeconds, 15)
    .option('--window <n>', 'snapshots scored together (the last n)', (v) => Math.max(2, positiveInt(v)), 20)
    .option('--threshold <score>', 'save an evidence set when a site reaches this score', score, 60)
    .option('--keep <n>', 'evidence sets kept on disk (the oldest are removed)', positiveInt, 5)
    .option('--max-sites <n>', 'sites exported per cycle (highest scores first)', positiveInt, 50)
    .option('--timeout <duration>', 'give up on a snapshot request after this long', positiveSeconds, 10)
    .option('--out <dir>', 'where evidence sets go (default: a new leakscan-watch-<time> directory)');
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
Each interval reads /debug/pprof/goroutine?debug=1 (counts per stack, the
cheapest goroutine profile) and scores the sites over the last --window
snapshots. Gauges: leakscan_site_tasks, leakscan_site_score and
leakscan_site_growth (goroutines per minute), labelled site, function and
location; leakscan_tasks and leakscan_target_up. When a site reaches
--threshold, the window and one full dump are saved as an evidence set.
Stops cleanly on SIGTERM or Ctrl-C (exit 0); exit 3 when the watched pid exits.
Go targets only: a Node process is sampled by leakscan attach.

Examples:
  leakscan watch 4242
  leakscan watch 127.0.0.1:6060 --listen 127.0.0.1:9465 --interval 30 --out /var/lib/leakscan
  leakscan watch http://localhost:6060/debug/pprof/ --listen 0.0.0.0:9465 --allow-remote-listen`,
    )
    .action((target: string, flags: WatchFlags) => run(() => watchCommand(target, flags)));
}

async function watchCommand(target: string, flags: WatchFlags): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const listen = parseListen(flags.listen, flags.allowRemoteListen);
  const analysis = await resolveAnalysisOptions(flags);
  let url = target;
  let pid: number | undefined;
  if (/^\d+$/.test(target)) {
    pid = Number(target);
    if (pid <= 0) throw new InputError(`not a pid: ${target}`);
    const info = await inspectProcess(pid);
    if (info.runtime.kind === 'node') throw new InputError(`pid ${pid} is a Node.js process: watch reads Go targets; sample Node with leakscan attach ${pid}`);
    if (info.runtime.kind !== 'go') throw new TargetError(`pid ${pid} (${info.runtime.description}) is not a Go program; nothing was sent to it`);
    url = await discoverPprof(pid);
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const { watchTarget } = await import('../../watch/watch.js');
    return await watchTarget({
      url,
      ...(pid !== undefined ? { pid } : {}),
      listen,
      intervalSeconds: flags.interval,
      window: flags.window,
      threshold: flags.threshold,
      keep: flags.keep,
      maxSites: flags.maxSites,
      timeoutSeconds: flags.timeout,
      outDir: flags.out ?? join(process.cwd(), timestampName('leakscan-watch')),
      analysis,
      say,
      signal: stop.signal,
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
