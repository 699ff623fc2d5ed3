import type { Command } from 'commander';
import { snapshotWarnings } from '../../model/sampling-warning.js';
import { loadSnapshotFile } from '../../formats/load.js';
import { summarizeSnapshot } from '../../analysis/summary.js';
import { renderShow } from '../../report/show-text.js';
import type { GroupBy } from '../../model/site.js';
import { groupBy, positiveInt } from '../options.js';

interface ShowOptions {
  top: number;
  groupBy: GroupBy;
  json: boolean;
}

export function registerShow(program: Command, run: (action: () => Promise<number | void>) => Promise<void>): void {
  program
    .command('show')
    .description('summarise one snapshot: tasks by state and the biggest groups by code site')
    .argument('<snapshot>', 'a snapshot file, or any dump file leakscan reads')
    .option('-n, --top <n>', 'how many groups to list', positiveInt, 10)
    .option('--group-by <how>', 'group tasks by "function" or by "line"', groupBy, 'function')
    .option('--json', 'print the summary as JSON', false)
    .addHelpText('after', '\nExample:\n  leakscan show before.json.gz --top 5')
    .action((file: string, options: ShowOptions) => run(() => showCommand(file, options)));
}

async function showCommand(file: string, options: ShowOptions): Promise<void> {
  const snapshot = await loadSnapshotFile(file);
  const summary = summarizeSnapshot(snapshot, options.groupBy);
  if (options.json) {
    const groups = summary.groups.slice(0, options.top).map((g) => ({
      key: g.site.key,
      count: g.count,
      states: Object.fromEntries(g.states),
      leaked: g.leaked,
      userCode: g.userCode,
      anchor: g.site.anchor,
      createdBy: g.site.createdBy,
      maxWaitMinutes: g.maxWaitMinutes,
      labels: g.labels.map(([labels, count]) => ({ labels, count })),
      ...(g.maxElidedFrames !== undefined ? { maxElidedFrames: g.maxElidedFrames } : {}),
      ...(g.stackUnavailable > 0 ? { stackUnavailable: g.stackUnavailable } : {}),
    }));
    const json = {
      schema: 'leakscan.show',
      version: 1,
      runtime: snapshot.runtime,
      takenAt: snapshot.takenAt,
      source: snapshot.source,
      total: summary.total,
      leaked: summary.leaked,
      byState: Object.fromEntries(summary.byState),
      sites: summary.groups.length,
      groups,
      warnings: snapshotWarnings(snapshot),
    };
    process.stdout.write(JSON.stringify(json, null, 2) + '\n');
    return;
  }
  process.stdout.write(renderShow(snapshot, summary, options.top));
}
