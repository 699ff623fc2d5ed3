/**
 * The HTML report, opened in real headless Chromium as a user opens it:
 * it renders offline without errors, the leak site is in the flamegraph,
 * clicking a suspect zooms to it, the differential view shows it grown,
 * search finds it, and nothing from the target can run as code.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runCli } from './helpers/cli.js';
import { startGoFixture } from './helpers/go-fixtures.js';
import { tempDir } from './helpers/tmp.js';
import { launchBrowser, openFile } from './helpers/browser.js';
import { SnapshotBuilder } from '../src/model/builder.js';
import { writeSnapshotFile } from '../src/model/file.js';

const dir = tempDir();

/** Code to run in the page (the tests compile without DOM types), applied to a JSON argument. */
const inPage = (fn: string, arg: unknown) => `(${fn})(${JSON.stringify(arg)})`;
const LEAK = 'main.(*quoteService).priceWorker';
let browser: Browser;
let reportFile: string;

before(async () => {
  browser = await launchBrowser();
  const fixture = await startGoFixture('earlyreturn');
  try {
    const out = join(dir, 'attach');
    const result = await runCli(['attach', String(fixture.pid), '--interval', '1', '--count', '4', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    reportFile = join(out, 'report.html');
    assert.match(result.stderr, new RegExp(`report: ${reportFile}`), 'attach writes the report beside the snapshots and says where');
  } finally {
    await fixture.stop();
  }
});
after(() => browser?.close());

/** The leak frame's width in the flamegraph, and the chart's: equal when zoomed to it. */
async function leakFrameWidth(page: Page): Promise<{ node: number; chart: number }> {
  return (await page.evaluate(
    inPage(
      `(name) => {
    const svg = document.querySelector('#chart svg');
    const g = [...svg.querySelectorAll('g')].find((node) => node.querySelector('.d3-flame-graph-label')?.textContent === name);
    return { node: Number(g.querySelector('rect').getAttribute('width')), chart: Number(svg.getAttribute('width')) };
  }`,
      LEAK,
    ),
  )) as { node: number; chart: number };
}

test('the report is one file that needs nothing from the network', () => {
  const html = readFileSync(reportFile, 'utf8');
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=["']?https?:/i);
  assert.match(html, /Content-Security-Policy/);
  assert.ok(html.length < 2_000_000, `${html.length} bytes`);
});

test('renders without errors, with the leak site in the flamegraph', async () => {
  const { page, errors, requests } = await openFile(browser, reportFile);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    requests.filter((url) => !url.startsWith('file://')),
    [],
    'no network requests',
  );
  assert.match((await page.locator('#title').textContent()) ?? '', /leakscan report: pid \d+/);
  assert.match((await page.locator('#meta').textContent()) ?? '', /Go go1\.\d+.*4 snapshots/s);
  const labels = await page.locator('#chart .d3-flame-graph-label').allTextContents();
  assert.ok(labels.includes(LEAK), 'the leak site is a frame of the flamegraph');
  const firstRow = page.locator('#suspects-body tr').first();
  assert.match((await firstRow.textContent()) ?? '', new RegExp(`#1\\s*\\d+.*${LEAK.replace(/[().*]/g, '\\$&')}`));
  await page.close();
});

test('clicking the top suspect zooms the flamegraph to its site and shows its details', async () => {
  const { page, errors } = await openFile(browser, reportFile);
  await page.locator('#suspects-body tr[data-rank="1"]').click();
  await page.waitForTimeout(600); // the zoom transition
  assert.equal(await page.locator('#zoomed').textContent(), `zoomed to ${LEAK}`);
  const widths = await leakFrameWidth(page);
  assert.ok(widths.node >= widths.chart * 0.95, `the site fills the chart: ${widths.node} of ${widths.chart}`);
  const details = (await page.locator('#details').textContent()) ?? '';
  assert.match(details, new RegExp(`function${LEAK.replace(/[().*]/g, '\\$&')}`));
  assert.match(details, /main\.go:\d+/);
  assert.match(details, /statesschan send \d+|stateschan send \d+/);
  assert.match(details, /created bymain\.\(\*quoteService\)\.quote/);
  assert.match(details, /labels.*handler=quote/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the count over time: one line per suspect through every snapshot, tooltips in goroutines', async () => {
  const { page, errors } = await openFile(browser, reportFile);
  const lines = (await page.evaluate(`[...document.querySelectorAll('#timeline path.series')].map((p) => ({
    rank: p.dataset.rank, points: (p.getAttribute('d').match(/[ML]/g) || []).length, title: p.querySelector('title').textContent }))`)) as {
    rank: string;
    points: number;
    title: string;
  }[];
  const suspects = await page.locator('#suspects-body tr').count();
  assert.equal(lines.length, Math.min(8, suspects), 'a line for each suspect, up to eight');
  assert.equal(lines[0]!.rank, '1');
  for (const line of lines) assert.equal(line.points, 4, 'a point for each of the 4 snapshots');
  assert.match(lines[0]!.title, new RegExp(`^#1 ${LEAK.replace(/[().*]/g, '\\$&')}: \\d+( → \\d+){3} goroutines$`));
  const tooltip = (await page.evaluate(
    inPage(
      `(name) => {
    const g = [...document.querySelectorAll('#chart svg g')].find((node) => node.querySelector('.d3-flame-graph-label')?.textContent === name);
    return g.querySelector('title').textContent;
  }`,
      LEAK,
    ),
  )) as string;
  assert.match(tooltip, /: \d+ goroutines?$/, `flamegraph tooltips count goroutines, not samples: ${tooltip}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('zoom is kept when the window is resized', async () => {
  const { page, errors } = await openFile(browser, reportFile);
  await page.locator('#suspects-body tr[data-rank="1"]').click();
  await page.waitForTimeout(600);
  await page.setViewportSize({ width: 900, height: 800 });
  await page.waitForTimeout(900); // the resize debounce, then the zoom transition
  assert.equal(await page.locator('#zoomed').textContent(), `zoomed to ${LEAK}`);
  const widths = await leakFrameWidth(page);
  assert.ok(widths.node >= widths.chart * 0.95, `still zoomed after the resize: ${widths.node} of ${widths.chart}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the differential view shows the leak site as grown, with a legend', async () => {
  const { page, errors } = await openFile(browser, reportFile);
  await page.locator('button[data-view="diff"]').click();
  await page.waitForTimeout(400);
  assert.equal(await page.locator('#legend-diff').isVisible(), true);
  assert.match((await page.locator('#legend-diff').textContent()) ?? '', /growth per minute.*more tasks red, fewer blue/s);
  const ticks = await page.locator('#diff-scale .tick text').allTextContents();
  assert.ok(ticks.length >= 3 && ticks.some((t) => /^\+\d.*\/min$/.test(t)) && ticks.includes('0/min'), `a scale with numbers: ${ticks.join(' ')}`);
  const fill = (await page.evaluate(
    inPage(
      `(name) => {
    const g = [...document.querySelectorAll('#chart svg g')].find((node) => node.querySelector('.d3-flame-graph-label')?.textContent === name);
    return g.querySelector('rect').getAttribute('fill');
  }`,
      LEAK,
    ),
  )) as string;
  const [r, g, b] = fill.match(/\d+/g)!.map(Number);
  assert.ok(r! > 200 && b! < 200 && g! <= 190, `grown frames are red or orange, got ${fill}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('search finds a function and reports how many tasks match', async () => {
  const { page } = await openFile(browser, reportFile);
  await page.locator('#search').fill('priceworker');
  await page.waitForTimeout(300);
  const found = /^(\d+) frames? match(?:es)?, (\d+) of (\d+) goroutines$/.exec((await page.locator('#search-result').textContent()) ?? '');
  assert.ok(found && Number(found[1]) >= 1 && Number(found[2]) >= 1, `search result: ${found?.[0]}`);
  assert.match((await page.locator('#matches li').first().textContent()) ?? '', new RegExp(`zoom ${LEAK.replace(/[().*]/g, '\\$&')}`));
  await page.locator('#matches li button').first().click();
  await page.waitForTimeout(600);
  assert.equal(await page.locator('#zoomed').textContent(), `zoomed to ${LEAK}`);
  // Plain text search takes the term as it is: no match, no error.
  await page.locator('#search').fill('(unbalanced[regex');
  await page.waitForTimeout(200);
  assert.match((await page.locator('#search-result').textContent()) ?? '', /^0 frames match/);
  // As a regular expression, it says it is not one.
  await page.locator('#regex').check();
  await page.waitForTimeout(200);
  assert.equal(await page.locator('#search-result').textContent(), 'not a valid regular expression');
  await page.locator('#search').fill('price[wW]orker$');
  await page.waitForTimeout(200);
  assert.match((await page.locator('#search-result').textContent()) ?? '', /^\d+ frames? match/);
  assert.match((await page.locator('#matches li').first().textContent()) ?? '', /priceWorker/);
  await page.locator('#search').fill('^priceWorker');
  await page.waitForTimeout(200);
  assert.match((await page.locator('#search-result').textContent()) ?? '', /^0 frames match/, 'anchored: the name starts with main.');
  await page.close();
});

test('search reaches creators; focus keeps only stacks through a match, hide removes the matching frames', async () => {
  const { page, errors } = await openFile(browser, reportFile);
  const labels = async () => page.locator('#chart .d3-flame-graph-label').allTextContents();
  const before = await labels();
  // The leak's goroutines are created by main.(*quoteService).quote: a creator, not a frame of their stacks.
  await page.locator('#search').fill('quoteService).quote');
  await page.waitForTimeout(300);
  assert.ok((await page.locator('#matches li').count()) >= 1, 'frames whose tasks were created there match');
  await page.locator('#search').fill('priceWorker');
  await page.locator('#focus').click();
  await page.waitForTimeout(500);
  const focused = await labels();
  assert.ok(focused.includes(LEAK));
  assert.ok(focused.length < before.length, `focus drops the other stacks: ${focused.length} of ${before.length} frames`);
  await page.locator('#reset').click();
  await page.waitForTimeout(300);
  await page.locator('#hide').click();
  await page.waitForTimeout(500);
  const hidden = await labels();
  assert.ok(!hidden.includes(LEAK), 'the hidden frame is gone');
  const total = Number(await page.evaluate(`d3.select('#chart').datum().value`));
  assert.ok(total > 0, 'its goroutines still count, at their callers');
  assert.deepEqual(errors, []);
  await page.close();
});

test('names and labels from the target cannot run as code in the report', async () => {
  const attacks = [
    '</script><script>window.__pwned = 1</script>',
    '<img src=x onerror="window.__pwned = 2">',
    '<script>window.__pwned = 3</script>',
    '"><svg onload="window.__pwned = 4">',
    '<!--',
  ];
  const series = join(dir, 'hostile');
  mkdirSync(series);
  for (let i = 0; i < 3; i++) {
    const builder = new SnapshotBuilder('go', { url: attacks[0]!, file: attacks[1]! });
    const leak = builder.stack([builder.frame(attacks[0]!, `/src/${attacks[1]}.go`, 10), builder.frame('main.main', '/src/main.go', 5)]);
    const creatorStack = builder.stack([builder.frame(attacks[2]!, attacks[3]!, 7)]);
    for (let n = 0; n < 10 * (i + 1); n++) {
      builder.addTask({
        id: String(100 + n),
        kind: 'goroutine',
        state: attacks[3]!,
        stack: leak,
        createdBy: creatorStack,
        labels: { [attacks[4]!]: attacks[0]!, tenant: attacks[2]! },
      });
    }
    await writeSnapshotFile(join(series, `s-${i}.json`), builder.build(1_000_000 + i * 60_000));
  }
  const file = join(dir, 'hostile.html');
  const result = await runCli(['report', series, '-o', file, '--title', attacks[0]!]);
  assert.equal(result.code, 0, result.stderr);
  const { page, errors } = await openFile(browser, file);
  await page.locator('#suspects-body tr[data-rank="1"]').click();
  await page.locator('button[data-view="diff"]').click();
  await page.locator('#search').fill('script');
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate('window.__pwned'), undefined, 'nothing ran');
  assert.deepEqual(errors, []);
  assert.equal(await page.locator('#title').textContent(), attacks[0], 'shown as text, exactly');
  assert.match((await page.locator('#suspects-body').textContent()) ?? '', /<\/script><script>window\.__pwned = 1<\/script>/);
  assert.equal(await page.locator('#chart img, #chart script, #suspects img, #details img').count(), 0);
  await page.close();
  writeFileSync(join(dir, 'done'), '');
});

test("the Content-Security-Policy runs only the report's own scripts (by hash) and blocks forms and <base>", async () => {
  const html = readFileSync(reportFile, 'utf8');
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  const directives = new Map(policy.split(/;\s*/).map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));
  assert.equal(directives.get('script-src')?.includes("'unsafe-inline'"), false, policy);
  assert.equal(directives.get('script-src')?.filter((source) => /^'sha256-[A-Za-z0-9+/]+=*'$/.test(source)).length, 3, 'one hash per inline script');
  assert.deepEqual(directives.get('form-action'), ["'none'"]);
  assert.deepEqual(directives.get('base-uri'), ["'none'"]);
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  const { page, errors } = await openFile(browser, reportFile);
  assert.deepEqual(errors, [], "the report's own scripts run without a violation");
  // Markup that got into the page anyhow: an inline script, an inline handler,
  // a <base>. The browser refuses each and says so.
  const seen = (await page.evaluate(`new Promise((resolve) => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
    const script = document.createElement('script');
    script.textContent = 'window.__injected = 1';
    document.body.append(script);
    const img = document.createElement('img');
    img.setAttribute('onerror', 'window.__injected = 2');
    img.src = 'data:,x';
    document.body.append(img);
    const base = document.createElement('base');
    base.href = 'https://example.invalid/';
    document.head.append(base);
    setTimeout(() => resolve({ injected: window.__injected ?? null, base: document.baseURI.startsWith('file:'), violations }), 300);
  })`)) as { injected: number | null; base: boolean; violations: string[] };
  assert.equal(seen.injected, null, 'no injected script ran');
  assert.equal(seen.base, true, 'the <base> was ignored');
  assert.ok(seen.violations.includes('script-src-elem'), `violations: ${seen.violations.join(', ')}`);
  assert.ok(seen.violations.includes('base-uri'), `violations: ${seen.violations.join(', ')}`);
  await page.close();
});
