/**
 * Property tests (fast-check, fixed seed) for how the HTML report carries
 * text from the target: function names, file paths, labels, states and the
 * target's URL are arbitrary strings, including "</script>", "<!--", U+2028,
 * U+2029 and lone surrogates. The data block must parse back to exactly the
 * data, and nothing in it may end the script element or open another one.
 * The browser test (report-browser) checks the same in Chromium for a few
 * hostile names; this checks the escaping for many.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeHtml, jsonForScript, renderHtmlReport, reportData } from '../src/report/html.js';
import { SnapshotBuilder } from '../src/model/builder.js';
import { analyze } from '../src/analysis/analyze.js';

const SEED = 20261122;
const RUNS = Number(process.env.LEAKSCAN_FUZZ_RUNS ?? 300);

/** Pieces an attacker (or a damaged dump) would put in a function name. */
const hostile = fc.constantFrom(
  '</script>',
  '</SCRIPT ',
  '</script/',
  '</scr',
  'ipt>',
  '<!--',
  '-->',
  '<script>',
  '<',
  '>',
  '&',
  '&lt;',
  '"',
  "'",
  '`',
  '\\',
  '\\u003c',
  '\u2028',
  '\u2029',
  '\u0000',
  '\n',
  '\r',
  '\u001b[31m',
  '</title>',
  '<img src=x onerror=alert(1)>',
);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const untrusted = fc.array(fc.oneof(hostile, loneSurrogate, fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 12 }).map((pieces) => pieces.join(''));

/** Where a browser ends a script element's content: the first "</script" followed by whitespace, "/" or ">". */
function scriptContentEnd(html: string, from: number): number {
  const end = /<\/script[\t\n\f\r />]/gi;
  end.lastIndex = from;
  const match = end.exec(html);
  return match ? match.index : -1;
}

test('jsonForScript: any value parses back unchanged, and holds no "<" and no line separator', () => {
  const value = fc.oneof(
    untrusted,
    fc.array(untrusted),
    fc.dictionary(untrusted, untrusted, { noNullPrototype: true }),
    fc.record({ fn: untrusted, labels: fc.dictionary(untrusted, untrusted, { noNullPrototype: true }) }, { noNullPrototype: true }),
  );
  fc.assert(
    fc.property(value, (v) => {
      const json = jsonForScript(v);
      assert.deepEqual(JSON.parse(json), v);
      // No "<" means no "</script", no "<!--" and no "<script" can appear.
      assert.doesNotMatch(json, /[<\u2028\u2029]/);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('escapeHtml: no markup character survives, and decoding gives the text back', () => {
  const decode = (html: string) => html.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
  fc.assert(
    fc.property(untrusted, (text) => {
      const html = escapeHtml(text);
      assert.doesNotMatch(html, /[<>"']|&(?!(amp|lt|gt|quot|#39);)/);
      assert.equal(decode(html), text);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('a whole report built from hostile names: its data block parses back to the data, and no other element appears', () => {
  const names = fc.record({ fn: untrusted, file: untrusted, creator: untrusted, state: untrusted, labelKey: untrusted, labelValue: untrusted, url: untrusted });
  fc.assert(
    fc.property(names, (n) => {
      const snapshots = [0, 1, 2].map((i) => {
        const builder = new SnapshotBuilder('go', { url: n.url, runtimeVersion: n.state });
        const leak = builder.stack([builder.frame(n.fn, n.file, 10), builder.frame('main.main', '/src/main.go', 5)]);
        const creator = builder.stack([builder.frame(n.creator, n.file, 7)]);
        for (let t = 0; t < 2 + i * 3; t++) {
          builder.addTask({ id: String(t + 1), kind: 'goroutine', state: n.state, stack: leak, createdBy: creator, labels: { [n.labelKey]: n.labelValue } });
        }
        return builder.build(1_000_000 + i * 60_000);
      });
      const analysis = analyze(snapshots);
      const input = { analysis, first: snapshots[0]!, last: snapshots[2]!, groupBy: 'function' as const };
      const html = renderHtmlReport(input);

      const open = '<script id="leakscan-data" type="application/json">';
      const start = html.indexOf(open) + open.length;
      const end = scriptContentEnd(html, start);
      assert.deepEqual(JSON.parse(html.slice(start, end)), JSON.parse(JSON.stringify(reportData(input))));
      assert.equal(html.slice(end, end + '</script>'.length), '</script>', 'the element ends where the report ends it');

      // Exactly the report's own four script elements and one title, whatever the names.
      assert.equal(html.match(/<script[\t\n\f\r />]/gi)?.length, 4);
      const title = /<title>([^<]*)<\/title>/.exec(html);
      assert.ok(title, 'the title holds no markup');
      assert.equal(html.match(/<title[\t\n\f\r />]/gi)?.length, 1);
    }),
    { seed: SEED, numRuns: Math.max(20, Math.floor(RUNS / 10)) },
  );
});
