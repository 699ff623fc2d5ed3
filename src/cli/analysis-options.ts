/**
 * Options shared by every command that ranks suspects (diff, attach, check):
 * grouping, ignore rules and the config file. Flags add to the config file.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { loadConfig } from '../analysis/config.js';
import type { CheckConfig } from '../analysis/config.js';
import type { AnalysisOptions } from '../analysis/analyze.js';
import type { GroupBy } from '../model/site.js';
import { groupBy } from './options.js';

export interface AnalysisFlags {
  groupBy?: GroupBy;
  config?: string;
  defaultIgnores: boolean;
  ignoreFunction: string[];
  ignoreCreatedBy: string[];
  ignorePackage: string[];
  ignoreLabel: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addAnalysisOptions(command: Command): Command {
  return command
    .addOption(new Option('--group-by <how>', 'group tasks by "function" or by "line" (default: function)').argParser(groupBy))
    .option('--ignore-function <glob>', 'ignore tasks with this function anywhere in their stack (repeatable; * is a wildcard)', collect, [])
    .option('--ignore-created-by <glob>', 'ignore tasks created by this function (repeatable)', collect, [])
    .option('--ignore-package <prefix>', 'ignore sites whose package (Go) or file (Node) starts with this (repeatable)', collect, [])
    .option('--ignore-label <key=value>', 'ignore tasks with this pprof label, or with this key at all (repeatable)', collect, [])
    .option('--no-default-ignores', 'also rank runtime, signal and test-runner goroutines that leakscan ignores by default')
    .option('--config <file>', 'read settings from this file instead of ./.leakscan.json');
}

export async function resolveAnalysisOptions(flags: AnalysisFlags): Promise<AnalysisOptions & { minScore?: number; check?: CheckConfig }> {
  const config = await loadConfig(flags.config);
  const ignore = config.ignore ?? {};
  const resolved: AnalysisOptions & { minScore?: number } = {
    groupBy: flags.groupBy ?? config.groupBy ?? 'function',
    defaultIgnores: flags.defaultIgnores && config.defaultIgnores !== false,
    ignore: {
      function: [...(ignore.function ?? []), ...flags.ignoreFunction],
      createdBy: [...(ignore.createdBy ?? []), ...flags.ignoreCreatedBy],
      package: [...(ignore.package ?? []), ...flags.ignorePackage],
      label: [...(ignore.label ?? []), ...flags.ignoreLabel],
    },
  };
  if (config.minScore !== undefined) resolved.minScore = config.minScore;
  return config.check !== undefined ? { ...resolved, check: config.check } : resolved;
}
