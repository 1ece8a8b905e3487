// The explorer's single page: plain HTML, CSS and browser JavaScript, no
// framework and nothing fetched from the network. See server.ts for the API.
export const PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tstrace explorer</title>
<style>
  :root { --hl: #ffe58a; --pin: #ffc94d; --err: #d33; font-size: 13px; }
  body { margin: 0; font-family: system-ui, sans-serif; background: #f5f5f2; color: #222; }
  header { padding: 6px 12px; background: #243447; color: #fff; display: flex; gap: 12px; align-items: center; }
  header h1 { font-size: 15px; margin: 0; font-weight: 600; }
  header .hint { opacity: .75; font-size: 12px; }
  main { display: grid; grid-template-columns: minmax(340px, 30%) 1fr; gap: 8px; padding: 8px; height: calc(100vh - 44px); box-sizing: border-box; }
  #left { display: flex; flex-direction: column; gap: 6px; min-height: 0; }
  textarea { font: 13px/1.45 ui-monospace, monospace; width: 100%; box-sizing: border-box; height: 150px; resize: vertical; }
  .panel { background: #fff; border: 1px solid #ccc; border-radius: 4px; display: flex; flex-direction: column; min-height: 0; }
  .panel h2 { font-size: 12px; margin: 0; padding: 3px 6px; background: #e8e8e3; border-bottom: 1px solid #ccc; }
  .panel .body { overflow: auto; flex: 1; font: 12px/1.4 ui-monospace, monospace; white-space: pre; }
  #view .body { padding: 4px 0; }
  .srcline { padding: 0 6px; }
  .srcline .no { color: #999; display: inline-block; width: 2.5em; user-select: none; }
  .ch.hl { background: var(--hl); }
  .ch.err { text-decoration: underline wavy var(--err); }
  .errmsg { color: var(--err); padding-left: 3.2em; white-space: pre-wrap; }
  #stages { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); grid-template-rows: repeat(3, minmax(0, 1fr)); gap: 8px; min-height: 0; }
  .sl { padding: 0 6px; cursor: pointer; }
  .sl.src { color: #2a7a2a; }
  .sl.noloc { color: #777; cursor: default; }
  .sl.hl { background: var(--hl); }
  .sl.pin { background: var(--pin); }
  #controls { display: flex; gap: 6px; align-items: center; }
  #controls button { padding: 3px 12px; }
  #status { font-size: 12px; color: #555; }
  #diagnostics { color: var(--err); white-space: pre-wrap; font: 12px/1.4 ui-monospace, monospace; max-height: 120px; overflow: auto; }
  #output { flex: 1; min-height: 80px; }
  #output .body { padding: 4px 6px; }
  .stderr { color: var(--err); }
</style>
</head>
<body>
<header><h1>tstrace explorer</h1><span class="hint">type a script &middot; hover or click a line in any stage to see where it came from &middot; click the source to find what it became</span></header>
<main>
  <div id="left">
    <textarea id="source" spellcheck="false"></textarea>
    <div class="panel" id="view" style="flex: 1.2"><h2>Source</h2><div class="body" id="view-body"></div></div>
    <div id="diagnostics"></div>
    <div id="controls"><button id="run">Run</button><button id="stop" disabled>Stop</button><span id="status"></span></div>
    <div class="panel" id="output"><h2>Output</h2><div class="body" id="output-body"></div></div>
  </div>
  <div id="stages"></div>
</main>
<script>
const INITIAL = 'tracepoint:syscalls:sys_enter_openat /pid > 1/ {\n  @opens[comm] = count();\n}\n\ninterval:s:1 { exit(); }\n';
const $ = (id) => document.getElementById(id);
const source = $('source');
let current = { stages: [], diagnostics: [] };
let pinned = null;
let runId = null;

function esc(s) { return s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c])); }
function contains(loc, line, col) {
  return (line > loc.line || (line === loc.line && col >= loc.col)) && (line < loc.endLine || (line === loc.endLine && col < loc.endCol));
}
function size(loc) { return (loc.endLine - loc.line) * 100000 + (loc.endCol - loc.col); }
function sameLoc(a, b) { return a && b && a.line === b.line && a.col === b.col && a.endLine === b.endLine && a.endCol === b.endCol; }

function renderSource() {
  const lines = source.value.split('\n');
  const errs = current.diagnostics.filter((d) => d.loc);
  let html = '';
  lines.forEach((text, i) => {
    const line = i + 1;
    html += '<div class="srcline" data-line="' + line + '"><span class="no">' + line + '</span>';
    for (let c = 1; c <= text.length + 1; c++) {
      const ch = c <= text.length ? text[c - 1] : ' ';
      const err = errs.some((d) => contains(d.loc, line, c));
      html += '<span class="ch' + (err ? ' err' : '') + '" data-l="' + line + '" data-c="' + c + '">' + esc(ch) + '</span>';
    }
    html += '</div>';
    for (const d of errs.filter((d) => d.loc.line === line)) html += '<div class="errmsg">' + esc(d.level + ': ' + d.message) + '</div>';
  });
  $('view-body').innerHTML = html;
  $('diagnostics').textContent = current.diagnostics.filter((d) => !d.loc).map((d) => d.formatted).join('');
}

function renderStages() {
  $('stages').innerHTML = '';
  for (const s of current.stages) {
    const panel = document.createElement('div');
    panel.className = 'panel';
    panel.id = 'stage-' + s.name;
    panel.innerHTML = '<h2>' + esc(s.title) + '</h2>';
    const body = document.createElement('div');
    body.className = 'body';
    s.lines.forEach((l, i) => {
      const div = document.createElement('div');
      div.className = 'sl' + (l.source ? ' src' : '') + (l.loc ? '' : ' noloc');
      div.textContent = l.text || ' ';
      div.dataset.stage = s.name;
      div.dataset.index = String(i);
      body.appendChild(div);
    });
    panel.appendChild(body);
    $('stages').appendChild(panel);
  }
}

function lineOf(div) { return current.stages.find((s) => s.name === div.dataset.stage).lines[Number(div.dataset.index)]; }

function clearHighlights(cls) { document.querySelectorAll('.' + cls).forEach((e) => e.classList.remove(cls)); }

/** Source range → highlight it in the source view and every stage line carrying exactly that range. */
function highlightLoc(loc, cls) {
  clearHighlights(cls);
  if (!loc) return;
  document.querySelectorAll('#view-body .ch').forEach((e) => {
    if (contains(loc, Number(e.dataset.l), Number(e.dataset.c))) e.classList.add(cls === 'pin' ? 'hl' : cls);
  });
  document.querySelectorAll('.sl').forEach((div) => { if (sameLoc(lineOf(div).loc, loc)) div.classList.add(cls); });
}

/** Source position → in each stage, the lines of the innermost range containing it. */
function highlightPosition(line, col, scroll) {
  clearHighlights('pin');
  clearHighlights('hl');
  for (const s of current.stages) {
    let best = null;
    for (const l of s.lines) if (l.loc && contains(l.loc, line, col) && (!best || size(l.loc) < size(best))) best = l.loc;
    if (!best) continue;
    let first = null;
    document.querySelectorAll('#stage-' + CSS.escape(s.name) + ' .sl').forEach((div) => {
      if (sameLoc(lineOf(div).loc, best)) { div.classList.add('pin'); first = first || div; }
    });
    if (scroll && first) first.scrollIntoView({ block: 'center' });
  }
  // In the source: the innermost AST node at that position.
  let node = null;
  for (const l of (current.stages.find((s) => s.name === 'ast') || { lines: [] }).lines) {
    if (l.loc && contains(l.loc, line, col) && (!node || size(l.loc) < size(node))) node = l.loc;
  }
  document.querySelectorAll('#view-body .ch').forEach((e) => {
    const l = Number(e.dataset.l), c = Number(e.dataset.c);
    if (node ? contains(node, l, c) : l === line && c === col) e.classList.add('hl');
  });
}

$('stages').addEventListener('mouseover', (ev) => {
  const div = ev.target.closest('.sl');
  if (div && !pinned) highlightLoc(lineOf(div).loc, 'hl');
});
$('stages').addEventListener('click', (ev) => {
  const div = ev.target.closest('.sl');
  if (!div) return;
  const loc = lineOf(div).loc;
  pinned = loc || null;
  clearHighlights('hl');
  highlightLoc(loc, 'pin');
});
$('view-body').addEventListener('click', (ev) => {
  const ch = ev.target.closest('.ch');
  if (!ch) return;
  pinned = { line: Number(ch.dataset.l), col: Number(ch.dataset.c) };
  highlightPosition(pinned.line, pinned.col, true);
});
$('view-body').addEventListener('mouseover', (ev) => {
  const ch = ev.target.closest('.ch');
  if (ch && !pinned) highlightPosition(Number(ch.dataset.l), Number(ch.dataset.c), false);
});

let timer = null;
let generation = 0;
async function update() {
  const mine = ++generation;
  $('status').textContent = 'compiling\u2026';
  const res = await fetch('/api/explain', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ source: source.value }) });
  if (!res.ok) {
    // An internal error of the compiler: say so instead of keeping stale stages.
    const text = await res.text();
    if (mine !== generation) return;
    $('diagnostics').textContent = 'ERROR: ' + text;
    $('status').textContent = 'internal error';
    return;
  }
  const data = await res.json();
  if (mine !== generation) return;
  current = data;
  pinned = null;
  renderSource();
  renderStages();
  const errors = data.diagnostics.filter((d) => d.level === 'ERROR').length;
  $('run').disabled = !data.canRun || errors > 0 || runId !== null;
  $('status').textContent = errors ? errors + ' error(s)' : data.canRun ? 'compiled' : 'compiled (Run needs root)';
  document.body.dataset.ready = String(mine);
}
source.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(update, 300); });

function appendOutput(text, cls) {
  const span = document.createElement('span');
  if (cls) span.className = cls;
  span.textContent = text;
  $('output-body').appendChild(span);
  $('output-body').scrollTop = $('output-body').scrollHeight;
}

$('run').addEventListener('click', async () => {
  $('output-body').textContent = '';
  $('run').disabled = true;
  $('stop').disabled = false;
  $('status').textContent = 'running\u2026';
  const res = await fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ source: source.value }) });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const ev = JSON.parse(buffer.slice(0, cut).replace(/^data: /, ''));
      buffer = buffer.slice(cut + 2);
      if (ev.type === 'start') runId = ev.id;
      else if (ev.type === 'stdout') appendOutput(ev.text);
      else if (ev.type === 'stderr') appendOutput(ev.text, 'stderr');
      else if (ev.type === 'exit') $('status').textContent = 'exited with ' + (ev.signal || ev.code);
    }
  }
  runId = null;
  $('stop').disabled = true;
  $('run').disabled = false;
});
$('stop').addEventListener('click', () => {
  if (runId !== null) fetch('/api/stop', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: runId }) });
});

source.value = INITIAL;
update();
</script>
</body>
</html>
`;
