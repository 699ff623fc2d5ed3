import type { Command } from 'commander';
import { ExitCode } from '../../util/errors.js';
import { addAnalysisOptions, resolveAnalysisOptions } from '../analysis-options.js';
import type { AnalysisFlags } from '../analysis-options.js';
import { addFleetOptions, scanOptionsFrom } from '../fleet-options.js';
import type { FleetFlags } from '../fleet-options.js';
import { positiveInt } from '../options.js';

interface ScanFlags extends FleetFlags, AnalysisFlags {
  top: number;
  json: boolean;
  html?: string;
}

export function registerScan(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  const command = program
    .command('scan')
    .description("find leaks across a fleet: pre-screen every instance from Prometheus's history, sample the Go ones, rank code sites across instances");
  addFleetOptions(command, false)
    .option('-n, --top <n>', 'how many suspects to list', positiveInt, 10)
    .option('--json', 'print the result as JSON (schema leakscan.scan)', false)
    .option('--html <file>', 'also write the fleet view: suspects x instances, and the Prometheus history as a chart');
  addAnalysisOptions(command)
    .addHelpText(
      'after',
      `
The pre-screen reads go_goroutines (client_golang) or
nodejs_active_handles_total + nodejs_active_requests_total (prom-client) over
--window, cut at restarts (process_start_time_seconds): no request is sent
to any instance. Go instances are then sampled through their pprof endpoint,
a --concurrency at a time; one that cannot be read is reported and skipped.
Node instances are pre-screened only (sampling needs the inspector: run
leakscan attach <pid> on the instance's host).

Exit codes: 0 done (leaks or not: use leakscan check --prometheus to gate),
2 usage or input error, 3 Prometheus or every sampled instance unreachable.

Examples:
  leakscan scan --prometheus http://prometheus:9090 --job api --window 24h
  leakscan scan --prometheus http://prometheus:9090 --selector '{env="prod"}' --sample-top 5
  leakscan scan --prometheus http://prometheus:9090 --job api --pprof 'http://{host}:6060/debug/pprof/'
  leakscan scan --targets fleet.json --count 4 --interval 2 --json > scan.json`,
    )
    .action((flags: ScanFlags) => run(() => scanCommand(flags)));
}

async function scanCommand(flags: ScanFlags): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const analysis = await resolveAnalysisOptions(flags);
  // Loaded on use: other commands start without the fleet modules.
  const [{ scanFleet }, { renderFleetText }, { fleetJson }] = await Promise.all([
    import('../../fleet/scan.js'),
    import('../../report/fleet-text.js'),
    import('../../report/fleet-json.js'),
  ]);
  const result = await scanFleet(scanOptionsFrom(flags, analysis, say));
  if (flags.json) process.stdout.write(JSON.stringify(fleetJson(result, { top: flags.top }), null, 2) + '\n');
  else process.stdout.write(renderFleetText(result, { top: flags.top, instances: 8 }));
  if (flags.html !== undefined) {
    const [{ renderFleetHtml }, { writeFileAtomic }] = await Promise.all([import('../../report/fleet-html.js'), import('../../util/atomic-write.js')]);
    await writeFileAtomic(flags.html, renderFleetHtml(result));
    say(`fleet view: ${flags.html}`);
  }
  const read = result.samples.filter((s) => s.status === 'sampled').length;
  if (result.samples.length > 0 && read === 0) {
    say('leakscan: no sampled instance could be read');
    return ExitCode.target;
  }
  if (result.samples.length > 0) say(`snapshots saved in ${result.plan.outDir}`);
  return ExitCode.ok;
}
