/**
 * The fleet view of `leakscan scan --html`: one self-contained page, no
 * script, that works offline. It holds the suspects x instances table (each
 * cell the site's score on that instance) and Prometheus's history of every
 * instance's task count as an SVG chart.
 *
 * Safety: every string from Prometheus or the instances is escaped for HTML
 * text or attribute values; the Content-Security-Policy forbids scripts and
 * any network access.
 */
import type { ScanResult } from '../fleet/scan.js';
import { baseName } from '../model/site.js';
import { plural } from './format.js';

const MAX_SITES = 20;
const MAX_COLUMNS = 60;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderFleetHtml(result: ScanResult): string {
  const sampled = result.samples.filter((s) => s.status === 'sampled').slice(0, MAX_COLUMNS);
  const sites = result.suspects.filter((s) => s.score > 0 || s.confirmed).slice(0, MAX_SITES);
  const head = sampled
    .map((s) => `<th class="inst" title="${escapeHtml(`${s.instance.job} ${s.instance.instance}`)}"><span>${escapeHtml(s.instance.instance)}</span></th>`)
    .join('');
  const rows = sites
    .map((site, i) => {
      const byInstance = new Map(site.instances.map((x) => [`${x.job}\u0000${x.instance}`, x]));
      const anchor = site.suspect.site.anchor;
      const where = anchor ? `${anchor.fn}${anchor.file ? `  ${baseName(anchor.file)}:${anchor.line}` : ''}` : site.key;
      const cells = sampled
        .map((s) => {
          const x = byInstance.get(`${s.instance.job}\u0000${s.instance.instance}`);
          if (x === undefined) return '<td class="none">·</td>';
          const title = `${x.instance}: score ${x.score}, ${x.first} → ${x.last}, ${x.perMinute}/min${x.history ? `; Prometheus ${x.history.growth} (${x.history.perHour}/h, ${x.history.restarts} restarts)` : ''}`;
          return `<td class="${band(x.score)}" title="${escapeHtml(title)}">${x.score}</td>`;
        })
        .join('');
      return `<tr><td class="rank">${i + 1}</td><td class="score ${band(site.score)}">${site.score}</td><th class="site" title="${escapeHtml(site.explanation)}">${escapeHtml(where)}<div class="why">${escapeHtml(site.explanation)}</div></th>${cells}</tr>`;
    })
    .join('\n');
  const failed = result.samples.filter((s) => s.status === 'failed');
  const notes = [
    ...failed.map((f) => `${f.instance.instance} (${f.instance.job}): skipped: ${f.error ?? 'failed'}`),
    ...result.skipped.filter((s) => s.reason !== 'not-selected').map((s) => `${s.instance.instance} (${s.instance.job}): ${s.detail}`),
  ];
  const source = result.source.prometheus ?? result.source.targetsFile ?? '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>leakscan fleet scan</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 6px;text-align:center}
th.site{text-align:left;font-weight:normal;font-family:ui-monospace,monospace;max-width:520px}
th.site .why{font-family:system-ui,sans-serif;color:#666;font-size:12px}
th.inst{height:140px;vertical-align:bottom;white-space:nowrap}th.inst span{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;font-size:12px}
.high{background:#f4b6b6}.mid{background:#fbe3a6}.low{background:#eef6ee}.none{color:#bbb}
.notes li{color:#8a5a00}svg text{font-size:11px;fill:#555}
</style></head><body>
<h1>leakscan fleet scan</h1>
<p>${escapeHtml(source)} · ${plural(result.instances.length, 'instance')} · ${sampled.length} sampled · ${new Date(result.startedAt).toISOString()}</p>
<h2>Suspects × instances (score on each instance)</h2>
${sites.length === 0 ? '<p id="no-suspects">No code site grows on the sampled instances.</p>' : `<table id="sites"><thead><tr><th>#</th><th>fleet</th><th>site</th>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`}
${notes.length ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
${historyChart(result)}
${instanceTable(result)}
</body></html>
`;
}

/** Every instance with its job, labels and what became of it. */
function instanceTable(result: ScanResult): string {
  const rows = [
    ...result.samples.map((s) => [s.instance, s.status === 'sampled' ? `sampled (${plural(s.snapshots, 'snapshot')})` : `failed: ${s.error ?? ''}`] as const),
    ...result.skipped.map(
      (s) => [s.instance, s.reason === 'node' ? 'pre-screened only (Node)' : s.reason === 'down' ? 'down in Prometheus' : 'not sampled'] as const,
    ),
  ].map(([i, status]) => `<tr><td>${escapeHtml(i.job)}</td><td>${escapeHtml(i.instance)}</td><td>${escapeHtml(status)}</td></tr>`);
  return `<h2>Instances</h2>\n<table id="instances"><thead><tr><th>job</th><th>instance</th><th>sampling</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function band(score: number): string {
  return score >= 70 ? 'high' : score >= 30 ? 'mid' : 'low';
}

const PALETTE = ['#c0392b', '#2980b9', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#7f8c8d', '#2c3e50', '#f39c12', '#1abc9c'];

/** Every instance's task count over the window, one line each (growing ones drawn on top). */
function historyChart(result: ScanResult): string {
  const p = result.prescreen;
  if (p === undefined || p.instances.length === 0) return '';
  const width = 960;
  const height = 280;
  const left = 50;
  const bottom = 24;
  const max = Math.max(1, ...p.instances.flatMap((h) => h.chart.map(([, v]) => v)));
  const span = Math.max(1, p.window.end - p.window.start);
  const x = (t: number) => (left + ((t - p.window.start) / span) * (width - left - 10)).toFixed(1);
  const y = (v: number) => (height - bottom - (v / max) * (height - bottom - 10)).toFixed(1);
  const ordered = [...p.instances].sort((a, b) => Number(a.growing) - Number(b.growing));
  const lines = ordered
    .map((h, i) => {
      const colour = h.growing ? PALETTE[i % PALETTE.length]! : '#bbb';
      const points = h.chart.map(([t, v]) => `${x(t)},${y(v)}`).join(' ');
      return `<polyline class="history" data-instance="${escapeHtml(h.instance)}" fill="none" stroke="${colour}" stroke-width="${h.growing ? 1.6 : 1}" points="${points}"><title>${escapeHtml(`${h.job} ${h.instance}: ${h.runtime}, now ${h.now}, growth ${h.growth} (${h.perHour}/h), ${plural(h.restarts, 'restart')}`)}</title></polyline>`;
    })
    .join('\n');
  const time = (t: number) => new Date(t * 1000).toISOString().slice(11, 16);
  const metrics = [...new Set(p.instances.map((h) => h.metric))].join('; ');
  return `<h2>Task count per instance (Prometheus: ${escapeHtml(metrics)})</h2>
<svg id="history" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="task count per instance over the window">
<line x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}" stroke="#999"/><line x1="${left}" y1="10" x2="${left}" y2="${height - bottom}" stroke="#999"/>
<text x="${left - 6}" y="14" text-anchor="end">${Math.round(max)}</text><text x="${left - 6}" y="${height - bottom}" text-anchor="end">0</text>
<text x="${left}" y="${height - 6}">${time(p.window.start)} UTC</text><text x="${width - 10}" y="${height - 6}" text-anchor="end">${time(p.window.end)} UTC</text>
${lines}
</svg>
<p>Growing instances in colour, the others in grey; restarts show as drops. Hover a line or a cell for its numbers.</p>`;
}
