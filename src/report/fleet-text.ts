/** Terminal output of `leakscan scan`: jobs and instances by growth, then code sites across the fleet. */
import chalk from 'chalk';
import type { ScanResult } from '../fleet/scan.js';
import { describeFrame } from './frame-text.js';
import { padEnd, padStart, plural, safeText } from './format.js';
import { sparkline } from './sparkline.js';

export interface FleetTextOptions {
  top: number;
  /** Instances listed under each suspect. */
  instances: number;
}

export function renderFleetText(result: ScanResult, options: FleetTextOptions): string {
  const out: string[] = [];
  const p = result.prescreen;
  if (p !== undefined) {
    out.push(chalk.bold(`Pre-screen: Prometheus history over ${duration(p.window.end - p.window.start)} (step ${p.window.step}s)`));
    if (p.instances.length === 0) {
      out.push(chalk.yellow('  no go_goroutines or nodejs_active_handles_total series for these instances'));
    } else {
      out.push(chalk.dim(`  ${padEnd('job', 16)} ${padStart('instances', 9)} ${padStart('growing', 7)} ${padStart('median/h', 9)}`));
      for (const j of p.jobs) {
        out.push(
          `  ${padEnd(safeText(j.job), 16)} ${padStart(String(j.instances), 9)} ${padStart(String(j.growing), 7)} ${padStart(signed(j.medianPerHour), 9)}`,
        );
      }
      out.push('');
      out.push(
        chalk.dim(
          `  ${padEnd('instance', 22)} ${padEnd('job', 12)} ${padEnd('runtime', 7)} ${padStart('now', 6)} ${padStart('growth', 8)} ${padStart('/hour', 8)} ${padStart('restarts', 8)}  history`,
        ),
      );
      for (const h of p.instances) {
        const line = `  ${padEnd(safeText(h.instance), 22)} ${padEnd(safeText(h.job), 12)} ${padEnd(h.runtime, 7)} ${padStart(String(Math.round(h.now)), 6)} ${padStart(signed(h.growth), 8)} ${padStart(signed(h.perHour), 8)} ${padStart(String(h.restarts), 8)}  ${sparkline(h.chart.map(([, v]) => v))}`;
        out.push(h.growing ? chalk.red(line) : line);
      }
    }
    out.push('');
  }

  const sampled = result.samples.filter((s) => s.status === 'sampled');
  const failed = result.samples.filter((s) => s.status === 'failed');
  if (result.samples.length > 0) {
    out.push(
      chalk.bold(
        `Sampled ${plural(result.samples.length, 'instance')} (${plural(result.plan.count, 'snapshot')} ${result.plan.intervalSeconds}s apart): ${sampled.length} read, ${failed.length} failed`,
      ),
    );
  }
  for (const f of failed) out.push(chalk.yellow(`  ${safeText(f.instance.instance)} (${safeText(f.instance.job)}): skipped: ${safeText(f.error ?? 'failed')}`));
  const nodes = result.skipped.filter((s) => s.reason === 'node');
  if (nodes.length > 0) {
    out.push(chalk.yellow(`  ${plural(nodes.length, 'Node instance')} (${nodes.map((n) => safeText(n.instance.instance)).join(', ')}): pre-screened only.`));
    out.push(chalk.dim(`  ${nodes[0]!.detail}`));
  }
  for (const d of result.skipped.filter((s) => s.reason === 'down')) {
    out.push(chalk.yellow(`  ${safeText(d.instance.instance)} (${safeText(d.instance.job)}): not sampled: ${safeText(d.detail)}`));
  }
  const notSelected = result.skipped.filter((s) => s.reason === 'not-selected').length;
  if (notSelected > 0)
    out.push(chalk.dim(`  ${plural(notSelected, 'instance')} not sampled (${result.skipped.find((s) => s.reason === 'not-selected')!.detail})`));

  if (result.samples.length > 0) {
    const shown = result.suspects.filter((s) => s.score > 0).slice(0, options.top);
    out.push('');
    if (shown.length === 0) {
      out.push(chalk.green('No code site grows on the sampled instances.'));
    } else {
      out.push(chalk.bold(`Suspects across the fleet (${shown.length} shown of ${plural(result.suspects.length, 'site')})`));
      for (const [i, s] of shown.entries()) {
        const anchor = s.suspect.site.anchor;
        const colour = s.score >= 70 ? chalk.red.bold : s.score >= 30 ? chalk.yellow : chalk.white;
        out.push(
          '',
          `${padStart(String(i + 1), 2)}. ${colour(`score ${padStart(String(s.score), 3)}`)}  ${anchor ? describeFrame(anchor) : safeText(s.key)}${s.confirmed ? chalk.red('  (confirmed leaked by the Go runtime)') : ''}`,
        );
        out.push(`    ${safeText(s.explanation)}`);
        for (const inst of s.instances.slice(0, options.instances)) {
          const prom = inst.history
            ? `  Prometheus ${signed(inst.history.growth)} (${signed(inst.history.perHour)}/h, ${plural(inst.history.restarts, 'restart')})`
            : '';
          out.push(
            chalk.dim(
              `    ${padEnd(safeText(inst.instance), 22)} score ${padStart(String(inst.score), 3)}  ${padStart(String(inst.first), 5)} → ${padEnd(String(inst.last), 6)} ${padStart(signed(inst.perMinute), 6)}/min${prom}`,
            ),
          );
        }
        if (s.instances.length > options.instances) out.push(chalk.dim(`    ... and ${s.instances.length - options.instances} more instances`));
      }
    }
  }
  out.push('', chalk.dim(`scan took ${(result.durationMs / 1000).toFixed(1)}s`));
  return out.join('\n') + '\n';
}

function signed(n: number): string {
  const r = Math.abs(n) >= 10 ? Math.round(n) : Math.round(n * 10) / 10;
  return `${r > 0 ? '+' : ''}${r}`;
}

function duration(seconds: number): string {
  if (seconds >= 86_400 && seconds % 3600 === 0) return `${(seconds / 86_400).toFixed(seconds % 86_400 ? 1 : 0)}d`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(seconds % 3600 ? 1 : 0)}h`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(seconds % 60 ? 1 : 0)}m`;
  return `${seconds}s`;
}
