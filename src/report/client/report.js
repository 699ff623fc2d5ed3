// leakscan report, browser side. Plain JavaScript, inlined into the report
// next to d3 and d3-flame-graph. Everything in DATA came from the target
// (function names, file paths, labels): it is only ever put in the page as
// text (textContent, d3's .text()), never as HTML.
(function () {
  'use strict';
  const DATA = JSON.parse(document.getElementById('leakscan-data').textContent);
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === 'class') node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** A long name as text that may wrap after "/" and "." (package and method boundaries): text nodes and <wbr> only. */
  function breakable(text) {
    const fragment = document.createDocumentFragment();
    for (const part of String(text).split(/(?<=[./])/)) {
      fragment.append(document.createTextNode(part), document.createElement('wbr'));
    }
    return fragment;
  }

  /** What a site is called: its function, "(anonymous)" for a nameless one (Node arrows), or its key without a frame. */
  const siteName = (s) => (s.anchor ? s.anchor.fn || '(anonymous)' : s.key);

  const BARS = '▁▂▃▄▅▆▇█';
  function sparkline(values) {
    const max = Math.max(...values, 0);
    if (max <= 0) return BARS[0].repeat(values.length);
    return values.map((v) => BARS[Math.min(7, Math.floor((v / max) * 7 + 0.5))]).join('');
  }
  const baseName = (file) => (file || '').split(/[\\/]/).pop();
  const where = (frame) => (frame && frame.file ? baseName(frame.file) + (frame.line ? ':' + frame.line : '') : '');

  // ---- header -------------------------------------------------------------
  function renderHeader() {
    const h = DATA.header;
    $('title').textContent = DATA.title;
    const meta = $('meta');
    meta.append(el('p', { class: 'meta' }, h.runtime + (h.runtimeVersion ? ' ' + h.runtimeVersion : '') + ' · ' + h.target));
    meta.append(
      el('p', { class: 'meta' }, h.snapshots + ' snapshot' + (h.snapshots === 1 ? '' : 's') + ' from ' + h.from + ' to ' + h.to + ' (' + h.span + ')'),
    );
    meta.append(el('p', { class: 'meta' }, h.totalsText));
    for (const w of DATA.warnings) meta.append(el('p', { class: 'warning' }, 'warning: ' + w));
  }

  // ---- suspects table -----------------------------------------------------
  function renderSuspects() {
    const body = $('suspects-body');
    if (DATA.foldedInternals > 0) {
      const n = DATA.foldedInternals;
      $('suspects').after(
        el(
          'p',
          { class: 'meta', id: 'folded-internals' },
          n + (n === 1 ? ' site' : ' sites') + " of Node's own code (no frame of the program) scoring under " + DATA.foldBelow + ' not listed.',
        ),
      );
    }
    if (DATA.suspects.length === 0) {
      $('suspects').replaceWith(el('p', { class: 'empty' }, 'No suspects: nothing grew.'));
      return;
    }
    for (const s of DATA.suspects) {
      const cls = s.score >= 70 ? 'high' : s.score >= 30 ? 'mid' : 'low';
      const site = el(
        'td',
        {},
        el('div', { class: 'fn' }, breakable(siteName(s)), s.confirmed ? el('span', { class: 'confirmed' }, 'LEAKED') : null),
        el('div', { class: 'where' }, where(s.anchor)),
        s.createdBy ? el('div', { class: 'where' }, 'created by ', el('span', { class: 'fn' }, breakable(s.createdBy.fn)), ' ' + where(s.createdBy)) : null,
        s.holds ? el('div', { class: 'where' }, 'holds ' + s.holds) : null,
      );
      const row = el(
        'tr',
        { 'data-rank': String(s.rank), 'data-key': s.key, tabindex: '0' },
        el('td', {}, '#' + s.rank),
        el('td', { class: 'score ' + cls }, s.score),
        el('td', { class: 'spark', title: s.counts.join(' → ') }, sparkline(s.counts)),
        el('td', {}, s.counts[s.counts.length - 1]),
        el('td', {}, s.state),
        site,
        el('td', {}, s.explanation),
      );
      row.addEventListener('click', () => focusSuspect(s.rank));
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') focusSuspect(s.rank);
      });
      body.append(row);
    }
  }

  // ---- count over time ----------------------------------------------------
  // One line per suspect over the whole series: people read a curve faster
  // than a list of numbers. Up to eight lines, the highest scores.
  const LINE_COLORS = ['#c62f1f', '#1f5fc6', '#2f7d32', '#b8660b', '#7b3fb5', '#0e8a8a', '#a8326e', '#5b6577'];
  function renderTimeline() {
    const box = $('timeline');
    const shown = DATA.suspects.slice(0, LINE_COLORS.length);
    if (shown.length === 0 || DATA.times.length < 2) {
      box.append(el('p', { class: 'empty' }, DATA.times.length < 2 ? 'One snapshot: no curve to draw.' : 'No suspects to draw.'));
      return;
    }
    const width = Math.max(480, box.clientWidth || 800);
    const height = 220;
    const margin = { top: 10, right: 16, bottom: 30, left: 56 };
    const x = d3
      .scaleLinear()
      .domain([0, DATA.times[DATA.times.length - 1] || 1])
      .range([margin.left, width - margin.right]);
    const yMax = d3.max(shown, (s) => d3.max(s.counts)) || 1;
    const y = d3
      .scaleLinear()
      .domain([0, yMax])
      .nice()
      .range([height - margin.bottom, margin.top]);
    const svg = d3
      .select(box)
      .append('svg')
      .attr('viewBox', '0 0 ' + width + ' ' + height)
      .attr('width', '100%')
      .attr('role', 'img')
      .attr('aria-label', DATA.taskWord[1] + ' per suspect site over time');
    svg
      .append('g')
      .attr('transform', 'translate(0,' + (height - margin.bottom) + ')')
      .call(
        d3
          .axisBottom(x)
          .ticks(8)
          .tickFormat((t) => formatSeconds(t)),
      );
    svg
      .append('g')
      .attr('transform', 'translate(' + margin.left + ',0)')
      .call(d3.axisLeft(y).ticks(5));
    svg.append('text').attr('class', 'axis-label').attr('x', margin.left).attr('y', margin.top).attr('dy', '-0.2em').text(DATA.taskWord[1]);
    const line = d3
      .line()
      .x((_, i) => x(DATA.times[i]))
      .y((c) => y(c));
    shown.forEach((s, i) => {
      const path = svg
        .append('path')
        .datum(s.counts)
        .attr('class', 'series')
        .attr('data-rank', String(s.rank))
        .attr('fill', 'none')
        .attr('stroke', LINE_COLORS[i])
        .attr('stroke-width', 2)
        .attr('d', line);
      path.append('title').text('#' + s.rank + ' ' + siteName(s) + ': ' + s.counts.join(' → ') + ' ' + DATA.taskWord[1]);
      svg
        .append('g')
        .selectAll('circle')
        .data(s.counts)
        .join('circle')
        .attr('cx', (_, j) => x(DATA.times[j]))
        .attr('cy', (c) => y(c))
        .attr('r', 2.5)
        .attr('fill', LINE_COLORS[i])
        .append('title')
        .text((c, j) => '#' + s.rank + ' at ' + formatSeconds(DATA.times[j]) + ': ' + c + ' ' + (c === 1 ? DATA.taskWord[0] : DATA.taskWord[1]));
    });
    const legend = el('div', { class: 'legend' });
    shown.forEach((s, i) => {
      const item = el('span', { class: 'series-key', tabindex: '0' }, '#' + s.rank + ' ' + siteName(s));
      item.style.setProperty('--swatch', LINE_COLORS[i]);
      item.addEventListener('click', () => focusSuspect(s.rank));
      legend.append(item);
    });
    box.append(legend);
  }
  function formatSeconds(t) {
    if (t < 10 && t !== Math.round(t)) return t.toFixed(1) + 's';
    if (t < 60) return Math.round(t) + 's';
    const m = Math.floor(t / 60);
    const s = Math.round(t - m * 60);
    return m + 'm' + (s ? s + 's' : '');
  }

  // ---- sites that shrank or vanished ------------------------------------------
  function renderShrank() {
    const box = $('shrank');
    if (DATA.shrank.length === 0) {
      box.append(el('p', { class: 'empty' }, 'No site has fewer ' + DATA.taskWord[1] + ' at the end than at the start.'));
      return;
    }
    const rows = DATA.shrank.map((s) =>
      el(
        'tr',
        {},
        el('td', {}, el('div', { class: 'fn' }, breakable(siteName(s))), el('div', { class: 'where' }, where(s.anchor))),
        el('td', {}, s.first + ' → ' + s.last),
        el('td', {}, s.last === 0 ? 'vanished' : 'shrank by ' + (s.first - s.last)),
      ),
    );
    box.append(
      el(
        'table',
        { class: 'suspects' },
        el('thead', {}, el('tr', {}, el('th', {}, 'site'), el('th', {}, 'first → last'), el('th', {}, ''))),
        el('tbody', {}, ...rows),
      ),
    );
  }

  // ---- flamegraph ---------------------------------------------------------
  const state = { view: 'live', root: 'stack', chart: null, zoomPath: null, transform: null };
  const namePath = (node) =>
    node
      .ancestors()
      .reverse()
      .slice(1)
      .map((n) => n.data.name);
  function findByPath(root, path) {
    let node = root;
    for (const name of path) {
      node = (node.children || []).find((c) => c.data.name === name);
      if (!node) return null;
    }
    return node;
  }
  const scoreOf = new Map(DATA.suspects.map((s) => [s.rank, s.score]));

  function hash(text) {
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    return (h >>> 0) / 4294967296;
  }
  function liveColor(d) {
    if (d.highlight) return '#e600e6';
    const rank = d.data.s;
    if (rank !== undefined) {
      const score = scoreOf.get(rank) || 0;
      if (score >= 70) return 'rgb(214, 48, 39)';
      if (score >= 30) return 'rgb(244, 140, 50)';
    }
    const t = hash(d.data.name || '');
    return 'hsl(' + Math.round(200 + 30 * t) + ', 25%, ' + Math.round(70 + 12 * t) + '%)';
  }

  function baseTree() {
    if (state.view === 'diff') return state.root === 'creator' ? DATA.trees.diffCreator : DATA.trees.diff;
    return state.root === 'creator' ? DATA.trees.creator : DATA.trees.stack;
  }

  // ---- search, focus and hide ----------------------------------------------
  // A term matches a frame's name or one of its tasks' creators, as a
  // case-insensitive substring, or as a regular expression (go tool pprof's
  // -focus and -hide take one) when the box is ticked.
  function currentMatcher() {
    const term = $('search').value;
    if (!term) return null;
    if ($('regex').checked) {
      let re;
      try {
        re = new RegExp(term, 'i');
      } catch (e) {
        return { invalid: true, test: () => false };
      }
      return { test: (text) => re.test(text) };
    }
    const lower = term.toLowerCase();
    return { test: (text) => text.toLowerCase().includes(lower) };
  }
  function nodeMatches(data, matcher) {
    return matcher.test(data.name || '') || (data.cb || []).some((c) => matcher.test(c));
  }
  /** pprof -focus: only the stacks through a matching frame (a match keeps everything below it). */
  function focusTree(node, matcher) {
    if (nodeMatches(node, matcher)) return node;
    const children = (node.children || []).map((c) => focusTree(c, matcher)).filter(Boolean);
    if (children.length === 0) return null;
    return Object.assign({}, node, { value: 0, delta: node.delta === undefined ? undefined : 0, children });
  }
  /** pprof -hide: matching frames leave every stack; what they called moves up to their caller. */
  function hideTree(node, matcher) {
    const out = Object.assign({}, node, { children: [] });
    const add = (child) => {
      const same = out.children.find((c) => c.name === child.name && c.f === child.f);
      if (!same) {
        out.children.push(child);
        return;
      }
      same.value += child.value;
      if (typeof same.delta === 'number') same.delta += child.delta || 0;
      for (const grandchild of child.children || []) mergeInto(same, grandchild);
    };
    const mergeInto = (parent, child) => {
      const same = (parent.children = parent.children || []).find((c) => c.name === child.name && c.f === child.f);
      if (!same) {
        parent.children.push(child);
        return;
      }
      same.value += child.value;
      if (typeof same.delta === 'number') same.delta += child.delta || 0;
      for (const grandchild of child.children || []) mergeInto(same, grandchild);
    };
    for (const child of node.children || []) {
      const kept = hideTree(child, matcher);
      if (nodeMatches(child, matcher)) {
        out.value += kept.value;
        if (typeof out.delta === 'number') out.delta += kept.delta || 0;
        for (const grandchild of kept.children || []) add(grandchild);
      } else {
        add(kept);
      }
    }
    return out;
  }
  function currentTree() {
    const tree = structuredClone(baseTree());
    if (!state.transform) return tree;
    const shaped = state.transform.kind === 'focus' ? focusTree(tree, state.transform.matcher) : hideTree(tree, state.transform.matcher);
    return shaped || Object.assign({}, tree, { children: [] });
  }

  /** The matching frames, largest first, each with a button that zooms to it. */
  function listMatches() {
    const list = $('matches');
    list.textContent = '';
    const matcher = currentMatcher();
    $('focus').disabled = $('hide').disabled = !matcher || matcher.invalid;
    if (!matcher) {
      $('search-result').textContent = '';
      return;
    }
    if (matcher.invalid) {
      $('search-result').textContent = 'not a valid regular expression';
      return;
    }
    const nodes = [];
    d3.select('#chart')
      .datum()
      .each((node) => {
        if (node.parent && nodeMatches(node.data, matcher)) nodes.push(node);
      });
    nodes.sort((a, b) => b.value - a.value);
    const total = d3.select('#chart').datum().value;
    const shown = nodes.slice(0, 15);
    $('search-result').textContent =
      nodes.length +
      ' frame' +
      (nodes.length === 1 ? '' : 's') +
      ' match' +
      (nodes.length === 1 ? 'es' : '') +
      ', ' +
      nodes.reduce(
        (sum, n) =>
          sum +
          (n
            .ancestors()
            .slice(1)
            .some((a) => a.parent && nodeMatches(a.data, matcher))
            ? 0
            : n.value),
        0,
      ) +
      ' of ' +
      total +
      ' ' +
      DATA.taskWord[1];
    for (const node of shown) {
      const zoom = el('button', { type: 'button' }, 'zoom');
      zoom.addEventListener('click', () => {
        state.chart.zoomTo(node);
        state.zoomPath = namePath(node);
        $('zoomed').textContent = 'zoomed to ' + node.data.name;
        showDetails(node);
      });
      list.append(
        el(
          'li',
          {},
          zoom,
          ' ',
          el('span', { class: 'fn' }, breakable(node.data.name)),
          ' ',
          el('span', { class: 'where' }, (node.data.f || '') + ' · ' + node.value + ' ' + (node.value === 1 ? DATA.taskWord[0] : DATA.taskWord[1])),
        ),
      );
    }
    if (nodes.length > shown.length) list.append(el('li', { class: 'where' }, '… and ' + (nodes.length - shown.length) + ' more'));
  }

  function draw() {
    const container = $('chart');
    container.textContent = '';
    const chart = flamegraph
      .default()
      .width(Math.max(600, container.clientWidth))
      .cellHeight(18)
      .transitionDuration(300)
      .minFrameSize(1)
      .selfValue(true)
      .sort(false)
      .setSearchMatch((d) => {
        const m = currentMatcher();
        return Boolean(m) && nodeMatches(d.data, m);
      })
      .setSearchHandler(() => listMatches())
      .setDetailsHandler(() => {})
      .label(
        (d) =>
          (d.data.name || '') +
          ': ' +
          d.value +
          ' ' +
          (d.value === 1 ? DATA.taskWord[0] : DATA.taskWord[1]) +
          (typeof d.delta === 'number' && d.delta !== 0 ? ' (' + (d.delta > 0 ? '+' : '') + d.delta + ' since the first snapshot)' : ''),
      )
      .onClick((d) => {
        state.zoomPath = namePath(d);
        showDetails(d);
      });
    if (state.view === 'diff') {
      chart.computeDelta(true).setColorMapper((d, original) => (d.highlight ? original : growthColor(d)));
    } else {
      chart.setColorMapper((d) => liveColor(d));
    }
    state.chart = chart;
    d3.select(container).datum(currentTree()).call(chart);
    $('legend-diff').hidden = state.view !== 'diff';
    $('legend-live').hidden = state.view === 'diff';
    $('zoomed').textContent = '';
    if ($('search').value) chart.search($('search').value);
    else listMatches();
    if (state.view === 'diff') drawGrowthScale();
  }

  // ---- growth colours ---------------------------------------------------------
  // The differential view colours each frame by how fast its tasks grew, in
  // tasks per minute over the window (more red, fewer blue), on a scale
  // with numbers, so an old pile that kept growing reads as hot as a new one.
  const spanMinutes = Math.max(DATA.times[DATA.times.length - 1] / 60, 1 / 60);
  let growthScale = null;
  function growthRate(d) {
    return (d.delta || 0) / spanMinutes;
  }
  function ensureGrowthScale() {
    if (growthScale) return growthScale;
    let max = 0;
    d3.hierarchy(DATA.trees.diff).each((n) => {
      max = Math.max(max, Math.abs(n.data.delta || 0));
    });
    d3.hierarchy(DATA.trees.diffCreator).each((n) => {
      max = Math.max(max, Math.abs(n.data.delta || 0));
    });
    // Inclusive deltas add up toward the root: leaves' rates set the range, with room above.
    const limit = Math.max(1, Math.ceil((max * 2) / spanMinutes));
    growthScale = d3.scaleDiverging([-limit, 0, limit], (t) => d3.interpolateRdBu(1 - t)).clamp(true);
    return growthScale;
  }
  function growthColor(d) {
    const rate = growthRate(d);
    if (rate === 0) return 'rgb(220, 220, 220)';
    return ensureGrowthScale()(rate);
  }
  function drawGrowthScale() {
    const scale = ensureGrowthScale();
    const [lo, , hi] = scale.domain();
    const svg = d3.select('#diff-scale');
    svg.selectAll('*').remove();
    const width = 340;
    const x = d3
      .scaleLinear()
      .domain([lo, hi])
      .range([10, 10 + width]);
    const id = 'growth-gradient';
    const gradient = svg.append('defs').append('linearGradient').attr('id', id);
    for (let i = 0; i <= 10; i++)
      gradient
        .append('stop')
        .attr('offset', i * 10 + '%')
        .attr('stop-color', scale(lo + ((hi - lo) * i) / 10));
    svg
      .append('rect')
      .attr('x', 10)
      .attr('y', 2)
      .attr('width', width)
      .attr('height', 10)
      .attr('fill', 'url(#' + id + ')');
    svg
      .append('g')
      .attr('transform', 'translate(0,12)')
      .call(
        d3
          .axisBottom(x)
          .ticks(5)
          .tickFormat((v) => (v > 0 ? '+' : '') + d3.format('~s')(v) + '/min'),
      );
  }

  /** Redraws at the new width and zooms back to where the user was. */
  function redrawKeepingZoom() {
    const path = state.zoomPath;
    draw();
    if (!path) return;
    const node = findByPath(d3.select('#chart').datum(), path);
    if (node) {
      state.chart.zoomTo(node);
      state.zoomPath = path;
      $('zoomed').textContent = 'zoomed to ' + node.data.name;
    }
  }

  function focusSuspect(rank) {
    for (const row of document.querySelectorAll('#suspects-body tr')) row.classList.toggle('selected', row.dataset.rank === String(rank));
    const root = d3.select('#chart').datum();
    let best = null;
    root.each((node) => {
      if (node.data.s === rank && (best === null || node.value > best.value)) best = node;
    });
    if (best === null) {
      $('zoomed').textContent = 'this site is not in the current view';
      return;
    }
    state.chart.zoomTo(best);
    state.zoomPath = namePath(best);
    $('zoomed').textContent = 'zoomed to ' + best.data.name;
    showDetails(best);
    $('chart').scrollIntoView({ block: 'nearest' });
  }

  function showDetails(d) {
    const box = $('details');
    box.textContent = '';
    const data = d.data;
    const dl = el('dl');
    const add = (term, value) => {
      if (value !== null && value !== undefined && value !== '') dl.append(el('dt', {}, term), el('dd', {}, value));
    };
    add('function', el('span', { class: 'fn' }, data.name));
    add('source', data.f || '');
    add('tasks', d.value + (data.value ? ' (' + data.value + ' stopped in this frame)' : ''));
    if (typeof d.delta === 'number') {
      add(
        'first snapshot → last',
        d.value -
          d.delta +
          ' → ' +
          d.value +
          ' ' +
          DATA.taskWord[1] +
          ' (' +
          (d.delta > 0 ? '+' : '') +
          d.delta +
          ', ' +
          (d.delta > 0 ? '+' : '') +
          d3.format('.3~f')(growthRate(d)) +
          '/min)',
      );
    }
    if (data.st)
      add(
        'states',
        Object.entries(data.st)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => k + ' ' + v)
          .join(', '),
      );
    if (data.ids) add('ids', data.ids.join(', ') + (data.value > data.ids.length ? ', …' : ''));
    if (data.wm) add('waiting', 'up to ' + data.wm + ' min');
    if (data.age) add('age', 'up to ' + Math.round(data.age / 1000) + ' s');
    if (data.cb) add('created by', data.cb.join('; '));
    if (data.lb)
      add(
        'labels',
        data.lb
          .map((l) =>
            Object.entries(l)
              .map(([k, v]) => k + '=' + v)
              .join(' '),
          )
          .join('; '),
      );
    const stack = el('ol');
    for (const node of d.ancestors()) {
      if (node.parent === null) continue;
      stack.append(el('li', {}, el('span', { class: 'fn' }, node.data.name), node.data.f ? el('span', { class: 'where' }, '  ' + node.data.f) : null));
    }
    add('stack (innermost first)', stack);
    box.append(dl);
  }

  function wireControls() {
    for (const button of document.querySelectorAll('[data-view]')) {
      button.addEventListener('click', () => {
        state.view = button.dataset.view;
        state.zoomPath = null;
        for (const b of document.querySelectorAll('[data-view]')) b.setAttribute('aria-pressed', String(b === button));
        draw();
      });
    }
    $('root').addEventListener('change', (e) => {
      state.root = e.target.value;
      draw();
    });
    const research = () => {
      if ($('search').value) state.chart.search($('search').value);
      else {
        state.chart.clear();
        listMatches();
      }
    };
    $('search').addEventListener('input', research);
    $('regex').addEventListener('change', research);
    for (const kind of ['focus', 'hide']) {
      $(kind).addEventListener('click', () => {
        const matcher = currentMatcher();
        if (!matcher || matcher.invalid) return;
        state.transform = { kind, matcher };
        state.zoomPath = null;
        draw();
        $('zoomed').textContent = kind === 'focus' ? 'focused on "' + $('search').value + '"' : 'hiding "' + $('search').value + '"';
      });
    }
    $('reset').addEventListener('click', () => {
      state.zoomPath = null;
      if (state.transform) {
        state.transform = null;
        draw();
      } else state.chart.resetZoom();
      $('zoomed').textContent = '';
    });
    let resizeTimer;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(redrawKeepingZoom, 200);
    });
  }

  renderHeader();
  renderSuspects();
  renderTimeline();
  renderShrank();
  wireControls();
  draw();
})();
