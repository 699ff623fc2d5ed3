import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { writeSnapshotFile } from '../../model/file.js';
import { taskTotal } from '../../model/builder.js';
import type { Snapshot } from '../../model/format.js';
import { loadSnapshotFile } from '../../formats/load.js';
import { snapshotFromPprof } from '../../targets/go/pprof-client.js';
import { InputError } from '../../util/errors.js';
import { plural } from '../../report/format.js';
import { positiveSeconds } from '../options.js';
import { timestampName } from '../../util/names.js';

interface SnapshotOptions {
  output?: string;
  timeout: number;
  leakProfile: boolean;
  labels: boolean;
}

export function registerSnapshot(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  program
    .command('snapshot')
    .description('take one snapshot of a Go pprof endpoint, or convert a dump file, into a snapshot file')
    .argument('<target>', 'a pprof URL (http://host:port, host:port or a /debug/pprof/ URL), or a dump file of any kind')
    .option('-o, --output <file>', 'where to write the snapshot (.json, or .json.gz to compress)', undefined)
    .option('--timeout <duration>', 'give up on an endpoint that has not answered in full after this long', positiveSeconds, 30)
    .option('--no-leak-profile', 'do not ask for /debug/pprof/goroutineleak (it runs one extra GC cycle in the target)')
    .option('--no-labels', 'do not fetch ?debug=0 to learn pprof labels when the dump has none')
    .addHelpText(
      'after',
      `
Examples:
  leakscan snapshot http://127.0.0.1:6060 -o before.json.gz
  leakscan snapshot goroutines.txt -o s.json.gz     # a saved debug=2, debug=1, debug=0 or panic dump`,
    )
    .action((target: string, options: SnapshotOptions) => run(() => snapshotCommand(target, options)));
}

async function snapshotCommand(target: string, options: SnapshotOptions): Promise<void> {
  const snapshot = await takeSnapshot(target, options);
  const output = options.output ?? defaultOutputName(snapshot);
  await writeSnapshotFile(output, snapshot);
  const from = snapshot.source.url ?? snapshot.source.file ?? target;
  process.stderr.write(`wrote ${output}: ${plural(taskTotal(snapshot), snapshot.runtime === 'go' ? 'goroutine' : 'task')} from ${from}\n`);
  for (const warning of snapshot.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
}

async function takeSnapshot(target: string, options: SnapshotOptions): Promise<Snapshot> {
  if (existsSync(target)) return loadSnapshotFile(target);
  if (/^\d+$/.test(target)) {
    throw new InputError(`no file named ${target}; to snapshot a process by pid use "leakscan attach ${target}", or pass its pprof URL`);
  }
  // A URL, host:port, [v6]:port, or :port (this machine, as go tool pprof reads it).
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !/^[\w.-]*:\d+(\/|$)/.test(target) && !/^\[[0-9a-f:]+\]:\d+/i.test(target)) {
    throw new InputError(`${target}: no such file, and not a URL`);
  }
  return snapshotFromPprof(target, {
    timeoutMs: options.timeout * 1000,
    leakProfile: options.leakProfile,
    labels: options.labels,
  });
}

function defaultOutputName(snapshot: Snapshot): string {
  return `${timestampName('snapshot', new Date(snapshot.takenAt))}.json.gz`;
}
