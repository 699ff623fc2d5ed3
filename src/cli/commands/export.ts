import type { Command } from 'commander';
import { Option } from 'commander';
import { basename } from 'node:path';
import { expandInputs, forEachSnapshot } from '../../formats/inputs.js';
import type { Snapshot } from '../../model/format.js';
import { SiteResolver } from '../../model/site.js';
import type { GroupBy } from '../../model/site.js';
import { EXPORT_FORMATS, collapsedStacks, pprofProfile, speedscopeDocument } from '../../report/export-formats.js';
import type { ExportFormat, TaskFilter } from '../../report/export-formats.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { InputError } from '../../util/errors.js';
import { groupBy } from '../options.js';
import { plural } from '../../report/format.js';

interface ExportFlags {
  format: ExportFormat;
  output?: string;
  site?: string;
  groupBy: GroupBy;
}

export function registerExport(program: Command, run: (action: () => Promise<number | void>) => Promise<void>, version: string): void {
  program
    .command('export')
    .description('write snapshots as a pprof goroutine profile, folded stacks or a speedscope file, for other tools')
    .argument('<snapshots...>', 'snapshot or dump files in time order, or directories of them')
    .addOption(
      new Option('--format <format>', 'pprof (profile.proto, gzipped), collapsed (folded stacks) or speedscope (JSON)')
        .choices(EXPORT_FORMATS)
        .makeOptionMandatory(),
    )
    .option('-o, --output <file>', 'the file to write (default: standard output)')
    .option('--site <text>', 'only the tasks of sites whose key contains this text (as show and diff print them)')
    .option('--group-by <how>', 'how --site matches keys: by "function" or by "line"', groupBy, 'function')
    .addHelpText(
      'after',
      `
pprof and collapsed take one snapshot: the last one given (a directory's
newest). speedscope takes every snapshot given, one profile each.

Examples:
  leakscan export leakscan-4242-20261122-101500/ --format pprof -o goroutines.pb.gz && go tool pprof -top goroutines.pb.gz
  leakscan export before.json.gz --format collapsed --site heartbeat | flamegraph.pl > heartbeat.svg
  leakscan export leakscan-4242-20261122-101500/ --format speedscope -o series.speedscope.json`,
    )
    .action((inputs: string[], flags: ExportFlags) => run(() => exportCommand(inputs, flags, version)));
}

async function exportCommand(inputs: string[], flags: ExportFlags, version: string): Promise<void> {
  if (flags.format === 'pprof' && flags.output === undefined && process.stdout.isTTY) {
    throw new InputError('a pprof profile is binary: give -o FILE, or redirect standard output');
  }
  const files = await expandInputs(inputs);
  const chosen = flags.format === 'speedscope' ? files : files.slice(-1);
  const snapshots: { snapshot: Snapshot; name: string; keep: TaskFilter }[] = [];
  let kept = 0;
  await forEachSnapshot(chosen, (snapshot, file) => {
    const keep = siteFilter(snapshot, flags);
    kept += snapshot.tasks.reduce((sum, task) => sum + (keep(task) ? (task.count ?? 1) : 0), 0);
    snapshots.push({ snapshot, name: basename(file), keep });
  });
  if (flags.site !== undefined && kept === 0) throw new InputError(`no site matches "${flags.site}" (leakscan show lists the sites)`);

  let data: string | Buffer;
  if (flags.format === 'pprof') data = pprofProfile(snapshots[0]!.snapshot, snapshots[0]!.keep);
  else if (flags.format === 'collapsed') data = collapsedStacks(snapshots[0]!.snapshot, snapshots[0]!.keep);
  else data = speedscopeDocument(snapshots, `leakscan ${version}`);

  if (flags.output === undefined) {
    process.stdout.write(data);
  } else {
    await writeFileAtomic(flags.output, data);
    const what = flags.format === 'speedscope' ? plural(snapshots.length, 'snapshot') : snapshots[0]!.name;
    process.stderr.write(`${flags.format}: ${flags.output} (${what})\n`);
  }
}

function siteFilter(snapshot: Snapshot, flags: ExportFlags): TaskFilter {
  const text = flags.site;
  if (text === undefined) return () => true;
  const sites = new SiteResolver(snapshot, flags.groupBy);
  return (task) => sites.siteOf(task).key.includes(text);
}
