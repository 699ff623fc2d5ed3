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
    meta.append(el('p', { class: 'meta' }, h.snapshots + ' snapshot' + (h.snapshots === 1 ? '' : 's') + ' from ' + h.from + ' to ' + h.to + ' (' + h.span + ')'));
    meta.append(el('p', { class: 'meta' }, h.totalsText));
    for (const w of DATA.warnings) meta.append(el('p', { class: 'warning' }, 'warning: ' + w));
  }

  // ---- suspects table -----------------------------------------------------
  function renderSuspects() {
    const body = $('suspects-body');
    if (DATA.suspects.length === 0) {
      $('suspects').replaceWith(el('p', { class: 'empty' }, 'No suspects: nothing grew.'));
      return;
    }
    for (const s of DATA.suspects) {
      const cls = s.score >= 70 ? 'high' : s.score >= 30 ? 'mid' : 'low';
      const site = el('td', {},
        el('div', { class: 'fn' }, s.anchor ? s.anchor.fn : s.key, s.confirmed ? el('span', { class: 'confirmed' }, 'LEAKED') : null),
        el('div', { class: 'where' }, where(s.anchor)),
        s.createdBy ? el('div', { class: 'where' }, 'created by ', el('span', { class: 'fn' }, s.createdBy.fn), ' ' + where(s.createdBy)) : null);
      const row = el('tr', { 'data-rank': String(s.rank), 'data-key': s.key, tabindex: '0' },
        el('td', {}, '#' + s.rank),
        el('td', { class: 'score ' + cls }, s.score),
        el('td', { class: 'spark', title: s.counts.join(' → ') }, sparkline(s.counts)),
        el('td', {}, s.counts[s.counts.length - 1]),
        el('td', {}, s.state),
        site,
        el('td', {}, s.explanation));
      row.addEventListener('click', () => focusSuspect(s.rank));
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') focusSuspect(s.rank); });
      body.append(row);
    }
  }

  // ---- flamegraph ---------------------------------------------------------
  const state = { view: 'live', root: 'stack', chart: null };
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

  function currentTree() {
    if (state.view === 'diff') return state.root === 'creator' ? DATA.trees.diffCreator : DATA.trees.diff;
    return state.root === 'creator' ? DATA.trees.creator : DATA.trees.stack;
  }

  function draw() {
    const container = $('chart');
    container.textContent = '';
    const chart = flamegraph.default()
      .width(Math.max(600, container.clientWidth))
      .cellHeight(18)
      .transitionDuration(300)
      .minFrameSize(1)
      .selfValue(true)
      .sort(false)
      .setSearchMatch((d, term) => Boolean(term) && (d.data.name || '').toLowerCase().includes(term.toLowerCase()))
      .setSearchHandler((results, sum, total) => {
        $('search-result').textContent = $('search').value
          ? results.length + ' frame' + (results.length === 1 ? '' : 's') + ' match, ' + sum + ' of ' + total + ' tasks'
          : '';
      })
      .setDetailsHandler(() => {})
      .onClick((d) => showDetails(d));
    if (state.view === 'diff') {
      chart.computeDelta(true).setColorMapper((d, original) => (d.highlight ? original : flamegraph.colorMapper.differentialColorMapper(d, original)));
    } else {
      chart.setColorMapper((d) => liveColor(d));
    }
    state.chart = chart;
    d3.select(container).datum(structuredClone(currentTree())).call(chart);
    $('legend-diff').hidden = state.view !== 'diff';
    $('legend-live').hidden = state.view === 'diff';
    $('zoomed').textContent = '';
    if ($('search').value) chart.search($('search').value);
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
    $('zoomed').textContent = 'zoomed to ' + best.data.name;
    showDetails(best);
    $('chart').scrollIntoView({ block: 'nearest' });
  }

  function showDetails(d) {
    const box = $('details');
    box.textContent = '';
    const data = d.data;
    const dl = el('dl');
    const add = (term, value) => { if (value !== null && value !== undefined && value !== '') dl.append(el('dt', {}, term), el('dd', {}, value)); };
    add('function', el('span', { class: 'fn' }, data.name));
    add('source', data.f || '');
    add('tasks', d.value + (data.value ? ' (' + data.value + ' stopped in this frame)' : ''));
    if (typeof d.delta === 'number') add('change since the first snapshot', (d.delta > 0 ? '+' : '') + d.delta);
    if (data.st) add('states', Object.entries(data.st).sort((a, b) => b[1] - a[1]).map(([k, v]) => k + ' ' + v).join(', '));
    if (data.ids) add('ids', data.ids.join(', ') + (data.value > data.ids.length ? ', …' : ''));
    if (data.wm) add('waiting', 'up to ' + data.wm + ' min');
    if (data.age) add('age', 'up to ' + Math.round(data.age / 1000) + ' s');
    if (data.cb) add('created by', data.cb.join('; '));
    if (data.lb) add('labels', data.lb.map((l) => Object.entries(l).map(([k, v]) => k + '=' + v).join(' ')).join('; '));
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
        for (const b of document.querySelectorAll('[data-view]')) b.setAttribute('aria-pressed', String(b === button));
        draw();
      });
    }
    $('root').addEventListener('change', (e) => { state.root = e.target.value; draw(); });
    $('search').addEventListener('input', (e) => {
      if (e.target.value) state.chart.search(e.target.value);
      else { state.chart.clear(); $('search-result').textContent = ''; }
    });
    $('reset').addEventListener('click', () => { state.chart.resetZoom(); $('zoomed').textContent = ''; });
    let resizeTimer;
    window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(draw, 200); });
  }

  renderHeader();
  renderSuspects();
  wireControls();
  draw();
})();
