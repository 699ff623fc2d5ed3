/**
 * The CI gate's outputs: text for people, and the formats CI systems read.
 *
 * - json: schema leakscan.check (docs/json-schema.md)
 * - junit: one test case per suspect site (failed ones carry a <failure>),
 *   for the test reporters of Jenkins, GitLab, CircleCI, ...
 * - sarif: SARIF 2.1.0, each failing site a result at its user-code frame's
 *   file:line, so GitHub code scanning shows it on the line (built with
 *   node-sarif-builder)
 * - github: workflow commands (::error file=...,line=...::), which GitHub
 *   Actions turns into annotations on the pull request
 */
import chalk from 'chalk';
import { pathToFileURL } from 'node:url';
import { lazyModule } from '../util/lazy-module.js';
import type { GateResult, Verdict } from '../analysis/gate.js';
import type { Suspect } from '../analysis/score.js';
import { foldInternalSites } from '../analysis/internal-sites.js';
import { plural, safeText } from './format.js';
import { describeFrame } from './frame-text.js';
import { functionName } from '../model/site.js';
import { sparkline } from './sparkline.js';
import { holdsLines, labelLines, sameLeakLines, seriesWarningLines } from './suspect-text.js';
import { SourcePaths } from './source-paths.js';
import { gitProvenance } from './git-provenance.js';

const sarifBuilder = lazyModule<typeof import('node-sarif-builder')>('node-sarif-builder');

export type GateFormat = 'text' | 'json' | 'junit' | 'sarif' | 'github';
export const GATE_FORMATS: GateFormat[] = ['text', 'json', 'junit', 'sarif', 'github'];

export interface GateOutputOptions {
  version: string;
  /**
   * SARIF, JUnit and GitHub paths are made relative to this (the repository
   * root), including paths of Go binaries built with -trimpath (see
   * source-paths.ts).
   */
  sourceRoot: string;
}

export function renderGate(format: GateFormat, result: GateResult, options: GateOutputOptions): string {
  switch (format) {
    case 'text':
      return gateText(result);
    case 'json':
      return JSON.stringify(gateJson(result), null, 2) + '\n';
    case 'junit':
      return gateJunit(result, new SourcePaths(options.sourceRoot));
    case 'sarif':
      return gateSarif(result, options);
    case 'github':
      return gateGithub(result, options);
  }
}

/**
 * Suspects worth listing: failures, accepted ones, and passing sites that
 * scored something, less Node's own quiet sites (folded as attach folds
 * them: the user cannot act on them).
 */
function listed(result: GateResult) {
  const folded = new Set(foldInternalSites(result.analysis).folded);
  return result.verdicts.filter((v) => v.verdict.kind !== 'pass' || (v.suspect.score > 0 && !folded.has(v.suspect)));
}

/** Under the mark and score: the explanation, what the site holds and the other sites of its leak, as diff says them. */
const DETAIL_INDENT = '         ';

function gateText(result: GateResult): string {
  const { series } = result.analysis;
  // Counts that are estimates, or dumps that were cut, weigh on the verdict: said first, as diff says them.
  const out: string[] = seriesWarningLines(series);
  if (out.length > 0) out.push('');
  const { shown, unlisted } = textListing(listed(result));
  for (const { suspect, verdict } of shown) {
    const mark = verdict.kind === 'fail' ? chalk.red.bold('FAIL') : verdict.kind === 'accepted' ? chalk.yellow('KNOWN') : chalk.green('ok  ');
    const site = suspect.site.anchor ? describeFrame(suspect.site.anchor) : safeText(suspect.key);
    out.push(`${mark} ${String(suspect.score).padStart(3)} ${sparkline(suspect.site.counts)}  ${site}`);
    out.push(`${DETAIL_INDENT}${safeText(suspect.explanation)}`);
    out.push(...holdsLines(suspect, series.runtime, DETAIL_INDENT), ...labelLines(suspect, DETAIL_INDENT), ...sameLeakLines(suspect, DETAIL_INDENT));
    if (verdict.kind !== 'pass') out.push(`${DETAIL_INDENT}${chalk.dim(safeText(verdict.reason))}`);
  }
  if (unlisted > 0) out.push(`${plural(unlisted, 'more passing site')} not listed (--format json lists them)`);
  const n = result.failed;
  out.push(
    '',
    n > 0
      ? chalk.red.bold(`leakscan check: ${plural(n, 'leak')} failed the check`)
      : chalk.green(`leakscan check: passed (fail score ${result.options.failScore}${result.options.baseline ? ', with baseline' : ''})`),
  );
  return out.join('\n') + '\n';
}

/** Passing sites listed in the text at most; failures and accepted sites are always listed, however many. */
const PASSING_LISTED = 20;

function textListing(verdicts: Verdicts): { shown: Verdicts; unlisted: number } {
  let room = PASSING_LISTED;
  const shown = verdicts.filter((v) => v.verdict.kind !== 'pass' || room-- > 0);
  return { shown, unlisted: verdicts.length - shown.length };
}

type Verdicts = ReturnType<typeof listed>;

export const CHECK_SCHEMA = 'leakscan.check';

function gateJson(result: GateResult) {
  const { series } = result.analysis;
  return {
    schema: CHECK_SCHEMA,
    version: 1,
    runtime: series.runtime,
    passed: result.failed === 0,
    failed: result.failed,
    failScore: result.options.failScore,
    maxGrowth: result.options.maxGrowth ?? null,
    baseline: result.options.baseline !== undefined,
    snapshots: series.times.length,
    sites: listed(result).map(({ suspect, verdict }) => ({
      key: suspect.key,
      verdict: verdict.kind,
      reason: verdict.kind === 'pass' ? null : verdict.reason,
      score: suspect.score,
      perMinute: suspect.growth?.perMinute ?? null,
      explanation: suspect.explanation,
      anchor: suspect.site.anchor ?? null,
      counts: suspect.site.counts,
    })),
  };
}

/** Escapes text for XML character data and attribute values; drops characters XML cannot hold. */
export function xmlEscape(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
  );
}

/** The site's function for a message: V8's "(anonymous)" where it has no name (an arrow function), the key without an anchor. */
function siteName(s: Suspect): string {
  const anchor = s.site.anchor;
  if (anchor === undefined) return s.key;
  return functionName(anchor);
}

function where(s: Suspect): string {
  const a = s.site.anchor;
  return a && a.file ? `${a.file}:${a.line}` : '';
}

/**
 * JUnit XML written by hand: one <testsuite> of one <testcase> per site is a
 * dozen lines, and the one thing to get right is escaping.
 */
function gateJunit(result: GateResult, paths: SourcePaths): string {
  const cases = listed(result);
  const { times } = result.analysis.series;
  // The suite's time is the window leakscan watched; sites take no time of their own.
  const seconds = times.length > 1 ? ((times[times.length - 1]! - times[0]!) / 1000).toFixed(3) : '0';
  const timestamp = times.length > 0 ? ` timestamp="${new Date(times[0]!).toISOString().slice(0, 19)}"` : '';
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="leakscan" tests="${cases.length}" failures="${result.failed}" time="${seconds}">`,
    `  <testsuite name="leakscan check (${result.analysis.series.runtime})" tests="${cases.length}" failures="${result.failed}" errors="0" skipped="0" time="${seconds}"${timestamp}>`,
  ];
  for (const { suspect, verdict } of cases) {
    const name = xmlEscape(suspect.key);
    const anchor = suspect.site.anchor;
    const rel = anchor ? paths.relativePath(anchor.file) : undefined;
    const file = anchor && rel !== undefined ? ` file="${xmlEscape(rel)}" line="${anchor.line}"` : '';
    lines.push(`    <testcase classname="leakscan.${result.analysis.series.runtime}" name="${name}"${file} time="0">`);
    if (verdict.kind === 'fail') {
      lines.push(
        `      <failure type="leak" message="${xmlEscape(`${verdict.reason} at ${where(suspect)}`)}">${xmlEscape(`${suspect.explanation}\nscore ${suspect.score}\n${where(suspect)}`)}</failure>`,
      );
    } else {
      lines.push(`      <system-out>${xmlEscape(`${verdictText(verdict)}: ${suspect.explanation}`)}</system-out>`);
    }
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}

function verdictText(verdict: Verdict): string {
  return verdict.kind === 'accepted' ? `accepted (${verdict.reason})` : 'passed';
}

const SRCROOT = '%SRCROOT%';

function gateSarif(result: GateResult, options: GateOutputOptions): string {
  const { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } = sarifBuilder();
  const paths = new SourcePaths(options.sourceRoot);
  const sarif = new SarifBuilder();
  const run = new SarifRunBuilder().initSimple({
    toolDriverName: 'leakscan',
    toolDriverVersion: options.version,
    url: 'https://www.npmjs.com/package/leakscan',
  });
  const runtime = result.analysis.series.runtime;
  const ruleId = runtime === 'go' ? 'goroutine-leak' : 'async-resource-leak';
  run.addRule(
    new SarifRuleBuilder().initSimple({
      ruleId,
      shortDescriptionText: runtime === 'go' ? 'Goroutines pile up at this site and never finish' : 'Async resources pile up at this site and never finish',
      fullDescriptionText: 'leakscan watched the running program over time: tasks created or blocked here kept growing and surviving (docs/scoring.md).',
    }),
  );
  const fileOf = new Map<object, string>();
  for (const { suspect, verdict } of result.verdicts) {
    if (verdict.kind !== 'fail') continue;
    const anchor = suspect.site.anchor;
    const rel = anchor ? paths.relativePath(anchor.file) : undefined;
    const fileUri = rel ?? (anchor?.file && anchor.file.startsWith('/') ? pathToFileURL(anchor.file).href : undefined);
    const builder = new SarifResultBuilder().initSimple({
      ruleId,
      level: 'error',
      messageText: `${siteName(suspect)}: ${suspect.explanation} (score ${suspect.score}; ${verdict.reason})`,
      ...(fileUri !== undefined ? { fileUri, ...(anchor!.line > 0 ? { startLine: anchor!.line } : {}) } : {}),
    });
    if (rel !== undefined) fileOf.set(builder.result, rel);
    run.addResult(builder);
  }
  sarif.addRun(run);
  const log = sarif.buildSarifOutput();
  const sarifRun = log.runs[0]!;
  // Paths in the repository are relative to %SRCROOT%, which the run defines,
  // so code scanning places them whatever the checkout's folder.
  sarifRun.originalUriBaseIds = { [SRCROOT]: { uri: pathToFileURL(options.sourceRoot.endsWith('/') ? options.sourceRoot : `${options.sourceRoot}/`).href } };
  for (const sarifResult of sarifRun.results ?? []) {
    const location = sarifResult.locations?.[0]?.physicalLocation?.artifactLocation;
    if (location && fileOf.has(sarifResult)) location.uriBaseId = SRCROOT;
  }
  for (const rule of sarifRun.tool.driver.rules ?? []) rule.help = ruleHelp(runtime);
  const provenance = gitProvenance(options.sourceRoot);
  if (provenance) sarifRun.versionControlProvenance = [provenance];
  return JSON.stringify(log, null, 2) + '\n';
}

/** The rule's help, which code scanning shows beside each alert (GitHub requires one per rule). */
function ruleHelp(runtime: string): { text: string; markdown: string } {
  const what = runtime === 'go' ? 'goroutines' : 'async resources (promises, timers, sockets)';
  const text = [
    `leakscan sampled the running program several times and found ${what} created or blocked at this line that kept growing and never finished.`,
    'Check what should end them: a context cancellation, a closed channel, a cleared timer, a settled promise, a closed socket.',
    'The score and its reasons are explained in docs/scoring.md of leakscan; run leakscan report on the saved snapshots to see the flamegraph.',
    'If the growth is expected, record it with leakscan baseline or allow the site in .leakscan.json (check.allow).',
  ];
  return { text: text.join(' '), markdown: text.join('\n\n') };
}

/** Workflow command escaping (GitHub's toolkit: %, CR, LF; and in properties also : and ,). */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function gateGithub(result: GateResult, options: GateOutputOptions): string {
  const paths = new SourcePaths(options.sourceRoot);
  const lines: string[] = [];
  for (const { suspect, verdict } of result.verdicts) {
    if (verdict.kind !== 'fail') continue;
    const anchor = suspect.site.anchor;
    const rel = anchor ? paths.relativePath(anchor.file) : undefined;
    const props = [
      ...(rel !== undefined ? [`file=${escapeProperty(rel)}`, `line=${anchor!.line}`] : []),
      `title=${escapeProperty(`leak: ${siteName(suspect)} (score ${suspect.score})`)}`,
    ];
    lines.push(`::error ${props.join(',')}::${escapeData(`${suspect.explanation}. ${verdict.reason}`)}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
