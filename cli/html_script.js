// heapagent report pages: renders the data embedded in #heapagent-data
// (flame graphs, differential flame graphs, the in-use timeline, the leak
// suspects, the top growing sites). Self-contained: no network, no library.
(function () {
  'use strict';
  const DATA = JSON.parse(document.getElementById('heapagent-data').textContent);
  const S = DATA.strings || [];
  const app = document.getElementById('app');
  const ROW = 18;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = v; else if (k === 'class') node.className = v; else node.setAttribute(k, v);
    }
    for (const child of children || []) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    return node;
  }
  function svgEl(tag, attrs) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }
  function fmtBytes(v) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let x = Math.abs(v), i = 0;
    while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
    const digits = i === 0 ? 0 : x < 10 ? 2 : x < 100 ? 1 : 0;
    return (v < 0 ? '-' : '') + x.toFixed(digits) + ' ' + units[i];
  }
  function fmtCount(v) {
    const units = ['', 'k', 'M', 'G'];
    let x = Math.abs(v), i = 0;
    while (x >= 1000 && i < units.length - 1) { x /= 1000; i++; }
    return (v < 0 ? '-' : '') + x.toFixed(i === 0 ? 0 : 2) + units[i];
  }
  function fmt(v, unit) { return unit === 'bytes' ? fmtBytes(v) : fmtCount(v); }
  function pct(part, whole) { return whole ? (100 * part / whole).toFixed(1) + '%' : '-'; }
  function hash(text) { let h = 0; for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0; return Math.abs(h); }

  const tooltip = el('div', { class: 'tooltip', id: 'tooltip' });
  document.body.appendChild(tooltip);
  function showTip(event, text) {
    tooltip.textContent = text;
    tooltip.style.display = 'block';
    tooltip.style.left = Math.min(event.clientX + 12, window.innerWidth - 540) + 'px';
    tooltip.style.top = (event.clientY + 14) + 'px';
  }
  function hideTip() { tooltip.style.display = 'none'; }

  // Nested arrays -> objects with parent links.
  function inflate(array, parent) {
    const node = { name: S[array[0]], file: S[array[1]], kind: array[2], v: array[3], parent: parent, children: [] };
    for (const child of array[4]) node.children.push(inflate(child, node));
    return node;
  }

  // One interactive flame graph (icicle: entry point on top, allocation
  // sites below). Click zooms, the search box highlights, hover tells.
  function FlameGraph(container, view, id) {
    const root = inflate(view.tree, null);
    const types = view.types;
    const n = types.length;
    let typeIndex = Math.max(0, types.findIndex(t => t.type === view.defaultType));
    if (types.findIndex(t => t.type === view.defaultType) < 0) typeIndex = n - 1;
    let zoom = root;
    let query = null;

    const select = el('select', { 'aria-label': 'sample type' });
    types.forEach((t, i) => select.appendChild(el('option', { value: String(i), text: t.type + ' (' + t.unit + ')' })));
    select.value = String(typeIndex);
    const search = el('input', { type: 'search', placeholder: 'search (regex)' });
    const reset = el('button', { text: 'reset zoom' });
    const status = el('span', { class: 'status' });
    const legend = el('span', { class: 'legend' }, view.diff
      ? [el('span', { style: 'background:#ef5350;color:#fff', text: 'grew' }), el('span', { style: 'background:#42a5f5;color:#fff', text: 'shrank' })]
      : [el('span', { style: 'background:hsl(42,90%,60%)', text: 'JS' }), el('span', { style: 'background:hsl(205,70%,70%)', text: 'native' }),
         el('span', { style: 'background:#cfd8dc', text: 'other' })]);
    const flame = el('div', { class: 'flame', id: id, 'data-view': view.title });
    container.appendChild(el('div', { class: 'controls' }, [select, search, reset, legend, status]));
    container.appendChild(flame);

    const value = node => view.diff ? Math.max(node.v[typeIndex], node.v[typeIndex + n]) : node.v[typeIndex];
    const delta = node => node.v[typeIndex] - node.v[typeIndex + n];
    function color(node) {
      if (view.diff) {
        const d = delta(node), scale = maxDelta || 1;
        const a = Math.min(1, Math.abs(d) / scale);
        if (Math.abs(d) < 1e-9) return '#e0e0e0';
        return d > 0 ? `rgba(229,57,53,${0.15 + 0.85 * a})` : `rgba(30,136,229,${0.15 + 0.85 * a})`;
      }
      const h = hash(node.name);
      if (node.kind === 0) return `hsl(${30 + h % 25},${80 + h % 15}%,${55 + h % 12}%)`;
      if (node.kind === 1) return `hsl(${190 + h % 30},${55 + h % 20}%,${62 + h % 12}%)`;
      return '#cfd8dc';
    }
    let maxDelta = 0;
    function computeMaxDelta(node) { maxDelta = Math.max(maxDelta, Math.abs(delta(node))); node.children.forEach(computeMaxDelta); }
    function matches(node) { return query && (query.test(node.name) || query.test(node.file || '')); }

    function describe(node) {
      const unit = types[typeIndex].unit, total = value(root);
      let text = node.name + (node.file ? '\n' + node.file : '') + '\n';
      if (view.diff) {
        const now = node.v[typeIndex], base = node.v[typeIndex + n];
        text += `${types[typeIndex].type}: ${fmt(base, unit)} → ${fmt(now, unit)} (${now >= base ? '+' : ''}${fmt(now - base, unit)})`;
      } else {
        text += `${types[typeIndex].type}: ${fmt(node.v[typeIndex], unit)} (${pct(node.v[typeIndex], total)} of all, ${pct(node.v[typeIndex], value(zoom))} of view)`;
        types.forEach((t, i) => { if (i !== typeIndex) text += `\n${t.type}: ${fmt(node.v[i], t.unit)}`; });
      }
      return text;
    }

    function render() {
      flame.textContent = '';
      maxDelta = 0;
      if (view.diff) computeMaxDelta(zoom);
      const width = flame.clientWidth || 1200;
      let depth = 0, matched = 0;
      const ancestors = [];
      for (let a = zoom; a; a = a.parent) ancestors.unshift(a);
      function box(node, x, w, row, isAncestor) {
        const div = el('div', { class: 'frame' + (isAncestor ? ' ancestor' : '') + (matches(node) ? ' match' : '') });
        div.style.left = x + 'px'; div.style.top = (row * ROW) + 'px'; div.style.width = Math.max(w, 1) + 'px';
        div.style.background = color(node);
        if (w > 30) div.textContent = node.name;
        div.addEventListener('click', () => { zoom = node; render(); });
        div.addEventListener('mousemove', e => showTip(e, describe(node)));
        div.addEventListener('mouseleave', hideTip);
        flame.appendChild(div);
        depth = Math.max(depth, row + 1);
      }
      ancestors.forEach((a, i) => box(a, 0, width, i, a !== zoom));
      const base = ancestors.length - 1;
      const total = value(zoom) || 1;
      function layout(node, x, row, inMatch) {
        let cx = x;
        for (const child of node.children) {
          const w = width * value(child) / total;
          if (w >= 0.5) {
            const m = matches(child);
            if (m && !inMatch) matched += view.diff ? child.v[typeIndex] : value(child);
            box(child, cx, w, row, false);
            layout(child, cx, row + 1, inMatch || m);
          }
          cx += w;
        }
      }
      layout(zoom, 0, base + 1, matches(zoom));
      flame.style.height = (depth * ROW + 4) + 'px';
      const unit = types[typeIndex].unit;
      status.textContent = query
        ? `matched ${fmt(matched, unit)} (${pct(matched, value(root))})`
        : `${view.diff ? 'net change ' + fmt(delta(zoom), unit) : 'total ' + fmt(value(zoom), unit)}`;
      flame.setAttribute('data-frames', String(flame.childElementCount));
    }
    select.addEventListener('change', () => { typeIndex = Number(select.value); render(); });
    search.addEventListener('input', () => {
      try { query = search.value ? new RegExp(search.value, 'i') : null; }
      catch (e) { query = new RegExp(search.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'); }
      render();
    });
    reset.addEventListener('click', () => { zoom = root; render(); });
    window.addEventListener('resize', render);
    render();
  }

  // Several views (e.g. the latest JS and native profiles) behind a selector.
  function flameSection(title, views, id) {
    const section = el('section', { id: id + '-section' }, [el('h2', { text: title })]);
    app.appendChild(section);
    const holder = el('div');
    if (views.length > 1) {
      const pick = el('select', { 'aria-label': 'profile' });
      views.forEach((v, i) => pick.appendChild(el('option', { value: String(i), text: v.title })));
      pick.addEventListener('change', () => { holder.textContent = ''; FlameGraph(holder, views[Number(pick.value)], id); });
      section.appendChild(el('div', { class: 'controls' }, [pick]));
    } else {
      section.appendChild(el('div', { class: 'status', text: views[0].title }));
    }
    section.appendChild(holder);
    FlameGraph(holder, views[0], id);
  }

  function timelineSection(timeline) {
    const section = el('section', { id: 'timeline-section' }, [el('h2', { text: 'In-use memory over time' })]);
    if (timeline.series.some(s => s.kind === 'process')) {
      section.appendChild(el('p', { class: 'status', text: 'Solid: sampled heaps in use; dotted: the whole process ' +
        '(RSS, V8 heap used, native heap as the allocator counts it: "allocator in use") from the agent\'s heap summary; dashed: suspects.' }));
    }
    app.appendChild(section);
    const W = 960, H = 300, L = 70, R = 12, T = 10, B = 34;
    const svg = svgEl('svg', { id: 'timeline', class: 'timeline-svg', viewBox: `0 0 ${W} ${H}`, width: '100%',
                               'data-series': String(timeline.series.length) });
    let maxX = 0, maxY = 0;
    for (const s of timeline.series) for (const [x, y] of s.points) { maxX = Math.max(maxX, x); maxY = Math.max(maxY, y); }
    maxX = maxX || 1; maxY = maxY || 1;
    const fmtTime = m => maxX < 2 ? (m * 60).toFixed(maxX < 0.2 ? 1 : 0) + ' s' : m.toFixed(maxX < 20 ? 1 : 0) + ' min';
    const px = x => L + (W - L - R) * x / maxX, py = y => H - B - (H - T - B) * y / maxY;
    svg.appendChild(svgEl('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#999' }));
    svg.appendChild(svgEl('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#999' }));
    for (let i = 0; i <= 4; i++) {
      const y = maxY * i / 4, x = maxX * i / 4;
      const ty = svgEl('text', { x: L - 6, y: py(y) + 4, 'text-anchor': 'end' }); ty.textContent = fmtBytes(y); svg.appendChild(ty);
      svg.appendChild(svgEl('line', { x1: L, y1: py(y), x2: W - R, y2: py(y), stroke: '#eee' }));
      const tx = svgEl('text', { x: px(x), y: H - B + 16, 'text-anchor': 'middle' }); tx.textContent = fmtTime(x); svg.appendChild(tx);
    }
    const palette = ['#ef6c00', '#1565c0', '#c62828', '#6a1b9a', '#2e7d32', '#00838f', '#ad1457', '#4e342e'];
    const legend = el('div', { class: 'legend' });
    timeline.series.forEach((s, i) => {
      const c = palette[i % palette.length];
      const d = s.points.map(([x, y], j) => (j ? 'L' : 'M') + px(x).toFixed(1) + ',' + py(y).toFixed(1)).join(' ');
      // heaps: solid; the whole process (heap summary): dotted; suspects: dashed
      svg.appendChild(svgEl('path', { d, fill: 'none', stroke: c, 'stroke-width': s.kind === 'heap' ? 2.5 : 1.5,
                                     'stroke-dasharray': s.kind === 'suspect' ? '5,3' : s.kind === 'process' ? '2,2' : '',
                                     class: 'timeline-series', 'data-kind': s.kind }));
      for (const [x, y] of s.points) {
        const dot = svgEl('circle', { cx: px(x), cy: py(y), r: 3, fill: c });
        dot.addEventListener('mousemove', e => showTip(e, `${s.name}\n${fmtTime(x)}: ${fmtBytes(y)}`));
        dot.addEventListener('mouseleave', hideTip);
        svg.appendChild(dot);
      }
      legend.appendChild(el('span', { style: `border-left:14px solid ${c}`, text: s.name }));
    });
    section.appendChild(svg);
    section.appendChild(legend);
  }

  function suspectsSection(suspects, notes) {
    const section = el('section', { id: 'suspects-section' }, [el('h2', { text: 'Leak suspects' })]);
    app.appendChild(section);
    if (!suspects.length) section.appendChild(el('p', { class: 'empty', id: 'no-suspects', text: 'No leak suspects: no allocation site keeps growing.' }));
    const table = el('table', { id: 'suspects' });
    table.appendChild(el('tr', {}, ['#', 'heap', 'allocation site', 'file', 'growth', 'confidence', 'in use now'].map(h => el('th', { text: h }))));
    suspects.forEach((s, i) => {
      const row = el('tr', { class: 'suspect-row' }, [
        el('td', { class: 'num', text: String(i + 1) }), el('td', { class: 'kind-' + s.kind, text: s.kind }),
        el('td', { text: s.function }), el('td', { text: s.file + (s.line ? ':' + s.line : '') }),
        el('td', { class: 'num', text: '+' + fmtBytes(s.rate) + '/min' }),
        el('td', { class: 'num' }, [el('span', { class: 'bar', style: `width:${Math.round(50 * s.confidence)}px` }), ' ' + (100 * s.confidence).toFixed(0) + '%']),
        el('td', { class: 'num', text: fmtBytes(s.inUse) })]);
      const detail = el('tr', { style: 'display:none' }, [el('td', {}), el('td', { colspan: '6' }, [
        el('div', { class: 'status', text: `trend z ${s.trendZ.toFixed(1)}, Mann–Kendall z ${s.mannKendallZ.toFixed(1)}, ` +
          `late rate +${fmtBytes(s.lateRate)}/min; confidences: trend ${(100 * s.trend).toFixed(0)}%, monotonic ${(100 * s.monotonic).toFixed(0)}%, ` +
          `persistent ${(100 * s.persistence).toFixed(0)}%, survival ${(100 * s.survival).toFixed(0)}%` }),
        el('div', { class: 'stack', text: s.stack.join('\n') })])]);
      row.addEventListener('click', () => { detail.style.display = detail.style.display === 'none' ? '' : 'none'; });
      table.appendChild(row); table.appendChild(detail);
    });
    section.appendChild(table);
    for (const note of notes || []) section.appendChild(el('p', { class: 'note', text: note }));
  }

  function growthSection(growth) {
    const section = el('section', { id: 'growth-section' }, [el('h2', { text: 'Top growing sites' })]);
    app.appendChild(section);
    const table = el('table', { id: 'growth' });
    table.appendChild(el('tr', {}, ['function', 'file', 'base', 'new', 'change'].map(h => el('th', { text: h }))));
    for (const g of growth) {
      table.appendChild(el('tr', { class: 'growth-row' }, [el('td', { text: g.function }), el('td', { text: g.file }),
        el('td', { class: 'num', text: fmt(g.base, g.unit) }), el('td', { class: 'num', text: fmt(g.now, g.unit) }),
        el('td', { class: 'num', text: (g.now >= g.base ? '+' : '') + fmt(g.now - g.base, g.unit) })]));
    }
    section.appendChild(table);
  }

  document.title = DATA.title;
  app.appendChild(el('header', {}, [el('h1', { text: DATA.title }), el('div', { class: 'subtitle', text: DATA.subtitle || '' })]));
  if (DATA.timeline) timelineSection(DATA.timeline);
  if (DATA.suspects) suspectsSection(DATA.suspects, DATA.notes);
  const views = DATA.views || [];
  const plain = views.filter(v => !v.diff), diffs = views.filter(v => v.diff);
  if (plain.length) flameSection(DATA.flameTitle || 'Flame graph', plain, 'flamegraph');
  if (diffs.length) flameSection(DATA.diffTitle || 'Differential flame graph (red: grew, blue: shrank)', diffs, 'diff');
  if (DATA.growth) growthSection(DATA.growth);
  document.body.setAttribute('data-rendered', 'true');
})();
