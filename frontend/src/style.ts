/** The stylesheet, injected as one <style> element (CSP allows inline styles). */

/** A cell's width (its canvas is square), the gap between cells, and a caption's height (4 lines). */
export const CELL_PX = 148;
export const GAP_PX = 8;
export const CAPTION_PX = 62;

export const CSS = `
:root { --bg:#fff; --fg:#212121; --muted:#616161; --panel:#f5f5f5; --border:#e0e0e0; --accent:#f57c00;
  --ok:#2e7d32; --bad:#c62828; --cell:${CELL_PX}px; color-scheme: light; }
:root.dark { --bg:#202124; --fg:#e8eaed; --muted:#9aa0a6; --panel:#2a2b2e; --border:#3c4043; --accent:#ffa726;
  --ok:#81c995; --bad:#f28b82; color-scheme: dark; }
html, body { height:100%; margin:0; }
body { background:var(--bg); color:var(--fg); font:13px/1.4 Roboto, "Segoe UI", Arial, sans-serif; overflow:hidden; }
.app { display:flex; height:100%; }
.sidebar { width:260px; flex:none; overflow:auto; border-right:1px solid var(--border); background:var(--panel); padding:8px 10px; box-sizing:border-box; }
.main { flex:1; display:flex; flex-direction:column; min-width:0; position:relative; overflow:hidden; }
.toolbar, .stepbar { display:flex; flex-wrap:wrap; align-items:center; gap:8px; padding:6px 10px; border-bottom:1px solid var(--border); }
.content { flex:1; overflow:auto; padding:10px; }
.content.stage { position:absolute; left:0; flex:none; overflow:visible; visibility:hidden; pointer-events:none; box-sizing:border-box; }
h2 { font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); margin:12px 0 6px; }
.field { display:flex; flex-direction:column; gap:2px; margin:6px 0; }
.field-label { color:var(--muted); font-size:12px; }
select, input[type=text], input[type=search], button { font:inherit; color:var(--fg); background:var(--bg); border:1px solid var(--border); border-radius:4px; padding:3px 6px; }
button { cursor:pointer; }
button[aria-pressed=true], button.active { border-color:var(--accent); color:var(--accent); }
button:focus-visible, select:focus-visible, input:focus-visible, canvas:focus-visible { outline:2px solid var(--accent); outline-offset:1px; }
.runs { list-style:none; margin:0; padding:0; max-height:40vh; overflow:auto; }
.runs li label { display:flex; align-items:center; gap:6px; padding:2px 0; word-break:break-all; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:50%; flex:none; }
.run-chip { display:inline-flex; align-items:center; gap:6px; font-weight:500; word-break:break-all; }
.series { margin:0 0 16px; }
.series-head { display:flex; flex-wrap:wrap; gap:10px; align-items:center; margin-bottom:6px; }
.tag { color:var(--muted); }
.step-label { font-variant-numeric:tabular-nums; }
.cells { display:flex; flex-wrap:wrap; gap:${GAP_PX}px; }
figure.cell { margin:0; width:var(--cell); }
canvas.heat, img.plain { width:var(--cell); height:var(--cell); image-rendering:pixelated; display:block; background:#000; cursor:crosshair; object-fit:contain; }
figcaption { font-size:11px; color:var(--muted); overflow-wrap:anywhere; }
figcaption.correct .verdict { color:var(--ok); }
figcaption.incorrect .verdict { color:var(--bad); }
.cells.placeholder { background:var(--panel); border-radius:2px; }
.cells.placeholder.small { width:var(--cell); height:calc(var(--cell) + ${CAPTION_PX}px); }
.strip-placeholder { height:calc(var(--cell) + 120px); background:var(--panel); border-radius:2px; }
.note { color:var(--bad); font-size:12px; padding:4px 0; overflow-wrap:anywhere; }
.notes { margin-bottom:8px; }
button[data-has-data=false] { opacity:.55; }
.metrics { display:flex; flex-wrap:wrap; gap:12px; margin:0 0 6px; }
figure.metric { margin:0; }
figure.metric figcaption { font-size:11px; }
.metric-name { color:var(--fg); }
figure.metric .metric-range { font-size:10px; color:var(--muted); }
figure.metric svg { display:block; background:var(--panel); border-radius:2px; }
figure.metric .step-mark { stroke:var(--accent); stroke-width:1; }
figure.metric .hover-dot { fill:none; stroke:var(--fg); stroke-width:1.5; }
.downloads { display:flex; flex-wrap:wrap; gap:6px; }
.empty { color:var(--muted); padding:12px; }
canvas.heat.broken { background:repeating-linear-gradient(45deg, var(--border), var(--border) 6px, transparent 6px, transparent 12px); }
.error { color:var(--bad); padding:12px; white-space:pre-wrap; }
#step-slider { flex:1; min-width:160px; }
.tooltip { position:fixed; pointer-events:none; background:rgba(0,0,0,.8); color:#fff; padding:2px 6px; border-radius:3px; font-size:11px; z-index:20; }
.modal { position:fixed; inset:0; background:rgba(0,0,0,.6); display:flex; align-items:center; justify-content:center; z-index:10; }
.modal-box { background:var(--bg); color:var(--fg); padding:12px; border-radius:6px; max-width:95vw; max-height:95vh; overflow:auto; display:flex; gap:12px; }
.modal canvas.heat, .modal img.plain { width:min(512px, 80vh); height:min(512px, 80vh); }
.filmstrip { position:relative; display:flex; gap:6px; overflow-x:auto; padding-bottom:4px; }
.filmstrip figure.cell { flex:none; }
.filmstrip figure.cell.current canvas { outline:3px solid var(--accent); outline-offset:-3px; }
.filmstrip figure.cell.current:not(:has(canvas)) { outline:3px solid var(--accent); outline-offset:2px; }
.filmstrip figure.cell.tokens-cell, .compare figure.cell.tokens-cell { width:22em; min-width:0; }
.compare { display:grid; gap:8px; align-items:start; }
.compare .col-head { font-weight:500; }
.legend { display:flex; align-items:center; gap:6px; font-size:11px; color:var(--muted); }
.legend canvas { width:160px; height:10px; border:1px solid var(--border); }
.legend { margin-bottom:8px; }
.muted { color:var(--muted); }
.view-controls { display:flex; flex-wrap:wrap; gap:12px; margin-bottom:8px; }
.view-controls .field { margin:0; }
.skipped { color:var(--bad); font-size:11px; }
.check { display:flex; align-items:center; gap:6px; margin:6px 0; font-size:12px; }
.sample-group { display:flex; flex-wrap:wrap; gap:6px; align-items:flex-start; padding:4px; border:1px solid var(--border); border-radius:4px; }
.sample-group > figcaption { flex-basis:100%; }
figure.cell.tokens-cell, figure.cell.bars-cell { width:auto; min-width:var(--cell); max-width:100%; }
.tokens { display:flex; flex-wrap:wrap; gap:2px; min-height:22px; }
.token { padding:1px 4px; border-radius:3px; color:#000; font-family:ui-monospace, Menlo, Consolas, monospace; white-space:pre; cursor:crosshair; }
.token.light { color:#fff; }
.token-rows { display:flex; flex-direction:column; gap:8px; margin-bottom:8px; }
.bars { display:grid; grid-template-columns:minmax(60px, max-content) 120px max-content; gap:2px 6px; align-items:center; font-size:11px; min-height:22px; }
.bar-row { display:contents; cursor:crosshair; }
.bar-name { overflow:hidden; text-overflow:ellipsis; white-space:nowrap; max-width:160px; }
.bar-track { height:10px; background:var(--panel); border-radius:2px; overflow:hidden; }
.bar { display:block; height:100%; }
.bar-value { font-variant-numeric:tabular-nums; color:var(--muted); }
.feature-runs { display:flex; flex-wrap:wrap; gap:16px; align-items:flex-start; }
.feature-run { flex:none; max-width:100%; }
.feature-run .cells { flex-direction:column; }
.frame-controls { display:flex; flex-wrap:wrap; align-items:center; gap:8px; margin:0 0 6px; }
.frame-controls .frame-slider { width:160px; }
.frame-label { font-variant-numeric:tabular-nums; }
figure.matrix { margin:0 0 8px; }
.matrix-grid { display:grid; grid-template-columns:max-content max-content; gap:2px 6px; }
.matrix-rows div { font-size:11px; line-height:16px; text-align:right; white-space:pre; max-width:160px; overflow:hidden; text-overflow:ellipsis; }
.matrix-plot { position:relative; }
.matrix-canvas { display:block; image-rendering:pixelated; background:var(--panel); cursor:crosshair; }
.matrix-current { position:absolute; top:0; bottom:0; box-sizing:border-box; border:2px solid var(--accent); pointer-events:none; }
.matrix-steps { display:flex; font-size:10px; color:var(--muted); }
.matrix-steps span { flex:none; overflow:visible; white-space:nowrap; }
`;
