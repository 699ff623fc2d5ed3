/**
 * `leakscan doctor`: what leakscan can use on this machine, and why not when
 * it cannot. Above all: whether Node targets get stacks from the native
 * addon or from the JavaScript fallback.
 */
import type { Command } from 'commander';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { nativeAddonStatus, nativeBindingDir } from '../../targets/node/native-addon.js';

export function registerDoctor(program: Command, run: (action: () => Promise<number | void>) => Promise<void>, version: string): void {
  program
    .command('doctor')
    .description('say what leakscan can use here: the native stack-capture addon (or why the JavaScript fallback is used), Go for the demo')
    .addHelpText(
      'after',
      `
The addon serves a Node target only if it was built for that target's Node
ABI (node -p process.versions.modules); otherwise the agent captures stacks in
JavaScript, which costs more per resource and finds the same sites.`,
    )
    .action(() => run(() => doctor(version)));
}

async function doctor(version: string): Promise<void> {
  const lines: string[] = [`leakscan ${version} on Node ${process.version} (ABI ${process.versions.modules}), ${process.platform}-${process.arch}`];
  const addon = nativeAddonStatus();
  lines.push(`native addon for this Node: ${addon.available ? 'yes' : 'no'}: ${addon.detail}`);
  lines.push(`  ${addon.path}`);
  const builds = await builtAbis();
  lines.push(`addon builds present: ${builds.length > 0 ? builds.join(', ') : 'none'} (in ${nativeBindingDir})`);
  lines.push(
    `Node targets get stacks from: ${addon.available ? 'the native addon when they run ABI ' + process.versions.modules + ' (others: JavaScript)' : 'JavaScript (no usable addon)'}`,
  );
  lines.push(`Go toolchain (demo, fixtures): ${await goVersion()}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function builtAbis(): Promise<string[]> {
  try {
    return (await readdir(nativeBindingDir)).filter((name) => name.startsWith('node-v')).sort();
  } catch {
    return [];
  }
}

async function goVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('go', ['version'], { timeout: 10_000 });
    return stdout.trim();
  } catch {
    return 'not found (the demo runs its Node target only)';
  }
}
