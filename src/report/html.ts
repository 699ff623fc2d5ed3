/**
 * The HTML report: one self-contained file that works offline. d3 7 and
 * d3-flame-graph 5.0.0 are read from node_modules and inlined, with the
 * report's own script and styles (src/report/client/).
 *
 * Safety: every string from the target travels inside one JSON block and is
 * put in the page by the client as text only. The JSON is made safe to sit in
 * a <script> element by escaping "<" (so no "</script>" or "<!--" can appear),
 * and U+2028/U+2029.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packagePath } from '../util/package-root.js';
import type { Analysis } from '../analysis/analyze.js';
import type { Snapshot } from '../model/format.js';
import type { GroupBy } from '../model/site.js';
import { taskTotal } from '../model/builder.js';
import { buildFlameTree, differentialTree } from './flame-tree.js';
import type { FlameNode } from './flame-tree.js';
import { formatDuration } from './diff-text.js';
import { holdsText, sameLeakText } from './suspect-text.js';
import { FOLD_INTERNAL_BELOW, foldInternalSites } from '../analysis/internal-sites.js';
import { formatTime, plural } from './format.js';

export interface ReportInput {
  analysis: Analysis;
  first: Snapshot;
  last: Snapshot;
  groupBy: GroupBy;
  title?: string;
  /** How many suspects the table lists. */
  top?: number;
}

export interface ReportData {
  title: string;
  header: {
    runtime: string;
    runtimeVersion?: string;
    target: string;
    snapshots: number;
    from: string;
    to: string;
    span: string;
    totalsText: string;
  };
  suspects: {
    rank: number;
    key: string;
    score: number;
    confirmed: boolean;
    explanation: string;
    state: string;
    counts: number[];
    anchor: { fn: string; file: string; line: number } | null;
    createdBy: { fn: string; file: string; line: number } | null;
    /** Node: what the site holds, in words ("608 Timeout"); "" for Go. */
    holds: string;
  }[];
  /** Node sites of Node's own code only, scoring under 30, left out of the table (internal-sites.ts). */
  foldedInternals: number;
  foldBelow: number;
  trees: { stack: FlameNode; creator: FlameNode; diff: FlameNode; diffCreator: FlameNode };
  /** Seconds since the first snapshot, one per snapshot: the x axis of each suspect's counts. */
  times: number[];
  /** Sites with fewer tasks at the end than at the start (vanished: none left), which a flamegraph of the last snapshot cannot show. */
  shrank: { key: string; anchor: { fn: string; file: string; line: number } | null; first: number; last: number }[];
  /** What a task is called in this runtime, singular and plural. */
  taskWord: [string, string];
  warnings: string[];
}

const TREE_LIMITS = { maxChildren: 60, maxNodes: 20_000 };

export function reportData(input: ReportInput): ReportData {
  const { analysis, first, last } = input;
  const { series } = analysis;
  const { listed, folded } = foldInternalSites(analysis);
  const suspects = listed.filter((s) => s.score > 0 || s.confirmed).slice(0, input.top ?? 25);
  const ranks = new Map(suspects.map((s, i) => [s.key, i + 1]));
  const tree = (snapshot: Snapshot, root: 'stack' | 'creator') => buildFlameTree(snapshot, { root, groupBy: input.groupBy, ranks, ...TREE_LIMITS });
  const stack = tree(last, 'stack');
  const creator = tree(last, 'creator');
  const n = series.times.length;
  const src = last.source;
  const target = [src.pid !== undefined ? `pid ${src.pid}` : '', src.url ?? src.file ?? ''].filter(Boolean).join(', ') || 'unknown target';
  const byState = new Map<string, number>();
  for (const task of last.tasks) byState.set(task.state, (byState.get(task.state) ?? 0) + (task.count ?? 1));
  const states = [...byState]
    .sort((a, b) => b[1] - a[1])
    .map(([s, c]) => `${c} ${s}`)
    .join(', ');
  const taskWord = series.runtime === 'go' ? 'goroutine' : 'async resource';
  const header: ReportData['header'] = {
    runtime: series.runtime === 'go' ? 'Go' : 'Node.js',
    target,
    snapshots: n,
    from: formatTime(series.times[0]!),
    to: formatTime(series.times[n - 1]!),
    span: formatDuration(series.times[n - 1]! - series.times[0]!),
    totalsText: `${plural(taskTotal(first), taskWord)} in the first snapshot, ${plural(taskTotal(last), taskWord)} in the last${states ? `: ${states}` : ''}`,
  };
  if (src.runtimeVersion !== undefined) header.runtimeVersion = src.runtimeVersion;
  return {
    title: input.title ?? `leakscan report: ${programName(src) ?? target}`,
    header,
    suspects: suspects.map((s, i) => ({
      rank: i + 1,
      key: s.key,
      score: s.score,
      confirmed: s.confirmed,
      explanation: s.explanation,
      state: s.mainState,
      counts: s.site.counts,
      anchor: s.site.anchor ?? null,
      createdBy: s.site.createdBy ?? null,
      holds: analysis.series.runtime === 'node' ? [holdsText(s.site.kinds), ...(s.sameLeak ?? []).map((o) => `with ${sameLeakText(o)}`)].join('; ') : '',
    })),
    foldedInternals: folded.length,
    foldBelow: FOLD_INTERNAL_BELOW,
    trees: {
      stack,
      creator,
      diff: differentialTree(tree(first, 'stack'), stack),
      diffCreator: differentialTree(tree(first, 'creator'), creator),
    },
    times: series.times.map((t) => (t - series.times[0]!) / 1000),
    shrank: analysis.suspects
      .filter((s) => s.site.counts.length > 1 && s.site.counts[s.site.counts.length - 1]! < s.site.counts[0]!)
      .map((s) => ({ key: s.key, anchor: s.site.anchor ?? null, first: s.site.counts[0]!, last: s.site.counts[s.site.counts.length - 1]! }))
      .sort((a, b) => b.first - b.last - (a.first - a.last))
      .slice(0, 20),
    taskWord: series.runtime === 'go' ? ['goroutine', 'goroutines'] : ['resource', 'resources'],
    warnings: series.warnings,
  };
}

/**
 * The program, as its user knows it: "checkout-api (pid 4242)" from the
 * command line's executable or script, rather than an address.
 */
function programName(src: Snapshot['source']): string | undefined {
  const words = (src.command ?? '').split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  const base = (word: string) => word.split('/').pop() ?? word;
  // "node --flag server.js": the script names a Node program better than "node".
  const script = /^(node|nodejs)$/.test(base(words[0]!)) ? words.slice(1).find((w) => !w.startsWith('-')) : undefined;
  const name = base(script ?? words[0]!);
  return src.pid !== undefined ? `${name} (pid ${src.pid})` : name;
}

/** JSON that can sit inside <script>: no "<" (so no "</script>", "<!--"), no line separators. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Escapes text for an HTML text or attribute context. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Inlined scripts must not close their own element early. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}

let assets: { d3: string; flamegraph: string; css: string; client: string; clientCss: string } | undefined;

function loadAssets(): NonNullable<typeof assets> {
  if (assets === undefined) {
    // Both packages keep their browser builds in dist/, next to their entry points
    // (their "exports" do not list the files themselves).
    const require = createRequire(import.meta.url);
    const d3Dist = dirname(require.resolve('d3'));
    const flamegraphDist = dirname(require.resolve('d3-flame-graph'));
    const clientDir = packagePath('src', 'report', 'client');
    assets = {
      d3: readFileSync(join(d3Dist, 'd3.min.js'), 'utf8'),
      flamegraph: readFileSync(join(flamegraphDist, 'd3-flamegraph.umd.min.js'), 'utf8'),
      css: readFileSync(join(flamegraphDist, 'd3-flamegraph.css'), 'utf8'),
      client: readFileSync(join(clientDir, 'report.js'), 'utf8'),
      clientCss: readFileSync(join(clientDir, 'report.css'), 'utf8'),
    };
  }
  return assets;
}

/**
 * The page's Content-Security-Policy, in a <meta> element (a report is a
 * file, opened without a server to send headers). Scripts run only when
 * their text hashes to one of the three the report was written with: no
 * 'unsafe-inline', so nothing that found its way into the page could run.
 * Nothing is fetched (default-src 'none'), no form can be submitted, no
 * <base> can redirect relative URLs. Styles stay 'unsafe-inline': d3 and
 * the legend set style attributes, and a style runs no code.
 *
 * What a <meta> policy cannot do: navigate-to is not implemented by any
 * browser (Chromium never shipped it), and sandbox and frame-ancestors are
 * ignored in <meta>; they need an HTTP header from a server that hosts
 * the report. The page holds no links, and target strings only ever reach it
 * as text, so there is nothing to click that leaves it.
 */
export function contentSecurityPolicy(scripts: readonly string[]): string {
  const hashes = scripts.map((script) => `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`);
  return ["default-src 'none'", `script-src ${hashes.join(' ')}`, "style-src 'unsafe-inline'", 'img-src data:', "form-action 'none'", "base-uri 'none'"].join(
    '; ',
  );
}

export function renderHtmlReport(input: ReportInput): string {
  const data = reportData(input);
  const a = loadAssets();
  const scripts = [inlineScript(a.d3), inlineScript(a.flamegraph), inlineScript(a.client)];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(scripts)}">
<title>${escapeHtml(data.title)}</title>
<style>${a.css}</style>
<style>${a.clientCss}</style>
</head>
<body>
<header>
  <h1 id="title"></h1>
  <div id="meta"></div>
</header>
<main>
  <h2>Suspects</h2>
  <table class="suspects" id="suspects">
    <thead><tr><th>#</th><th>score</th><th>trend</th><th>now</th><th>state</th><th>site</th><th>why</th></tr></thead>
    <tbody id="suspects-body"></tbody>
  </table>
  <h2>Count over time</h2>
  <div id="timeline" class="timeline"></div>
  <h2>Where tasks are</h2>
  <div class="controls">
    <button type="button" data-view="live" aria-pressed="true">Live tasks (last snapshot)</button>
    <button type="button" data-view="diff" aria-pressed="false">Growth (first → last)</button>
    <label>root at <select id="root"><option value="stack">outermost frame</option><option value="creator">creator (created by)</option></select></label>
    <input type="search" id="search" placeholder="search functions and creators" aria-label="search functions and creators">
    <label><input type="checkbox" id="regex"> regular expression</label>
    <button type="button" id="focus" disabled title="keep only the stacks that pass through a match (as go tool pprof -focus)">focus</button>
    <button type="button" id="hide" disabled title="remove the matching frames from every stack (as go tool pprof -hide)">hide</button>
    <span id="search-result"></span>
    <button type="button" id="reset">reset zoom</button>
    <span id="zoomed"></span>
  </div>
  <div class="legend" id="legend-live"><span style="--swatch: rgb(214,48,39)">leak site, score ≥ 70</span><span style="--swatch: rgb(244,140,50)">suspect, score 30–69</span><span style="--swatch: hsl(215,25%,76%)">other frames</span><span style="--swatch: #e600e6">search match</span></div>
  <div class="legend" id="legend-diff" hidden><span class="plain">growth per minute, first → last snapshot: more tasks red, fewer blue, unchanged grey</span><svg id="diff-scale" width="360" height="34" aria-label="colour scale: tasks per minute"></svg></div>
  <div id="chart"></div>
  <ul id="matches" class="matches"></ul>
  <div id="details">Click a frame or a suspect to see its tasks, states, ids, creators, labels and full stack.</div>
  <h2>Shrank or vanished</h2>
  <div id="shrank"></div>
</main>
<script id="leakscan-data" type="application/json">${jsonForScript(data)}</script>
${scripts.map((script) => `<script>${script}</script>`).join('\n')}
</body>
</html>
`;
}
