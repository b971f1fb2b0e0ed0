/// The console's three files, served from the binary so no request leaves the machine: no framework, no CDN,
/// no web fonts. The page builds every element from trace data with `createElement` and `textContent` only.
enum ConsoleAssets {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>xray console</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/ui/app.css">
        </head>
        <body>
        <header>
        <span class="brand">xray</span>
        <nav><a id="nav-traces" href="#/traces">Traces</a><a id="nav-map" href="#/map">Map</a><a id="nav-runs" href="#/runs">Runs</a></nav>
        <span id="status"></span>
        </header>
        <main id="main"></main>
        <script src="/ui/app.js"></script>
        </body>
        </html>
        """#

    static let style = #"""
        :root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #667085; --line: #d0d5dd; --panel: #f6f7f9; --sel: #dbeafe;
          --ok: #2e9e5b; --error: #e08a00; --fault: #d92d20; --throttle: #7a5af8; --pending: #98a2b3; --accent: #1d4ed8; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #111418; --fg: #e6e8eb; --muted: #98a2b3; --line: #30363d; --panel: #1a1f26; --sel: #1e3a5f; --accent: #7aa2ff; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
        header { display: flex; gap: 16px; align-items: center; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
        .brand { font-weight: 700; }
        nav a { margin-right: 12px; color: var(--fg); text-decoration: none; padding: 4px 8px; border-radius: 4px; }
        nav a.active { background: var(--sel); }
        #status { margin-left: auto; color: var(--muted); font-size: 12px; }
        main { padding: 12px 16px; }
        .bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
        #filter { flex: 1; min-width: 300px; font: 13px ui-monospace, monospace; padding: 6px; background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 4px; }
        button { font: inherit; padding: 4px 10px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); border-radius: 4px; cursor: pointer; }
        button.on { background: var(--sel); }
        pre { margin: 0; font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
        #filter-error { color: var(--fault); margin: 6px 0; }
        #filter-error:empty { display: none; }
        table { border-collapse: collapse; width: 100%; margin-top: 8px; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 420px; }
        th { color: var(--muted); font-weight: 600; font-size: 12px; }
        tbody tr { cursor: pointer; }
        tbody tr:hover { background: var(--panel); }
        tr.selected { background: var(--sel); }
        .state { font-weight: 600; }
        .state-ok { color: var(--ok); } .state-error { color: var(--error); } .state-fault { color: var(--fault); } .state-throttle { color: var(--throttle); }
        .empty { color: var(--muted); padding: 12px 0; }
        h2 { font-size: 16px; margin: 4px 0 8px; }
        .legend { display: flex; gap: 12px; font-size: 12px; color: var(--muted); margin: 4px 0; }
        .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
        .fill-ok { fill: var(--ok); background: var(--ok); } .fill-error { fill: var(--error); background: var(--error); }
        .fill-fault { fill: var(--fault); background: var(--fault); } .fill-throttle { fill: var(--throttle); background: var(--throttle); }
        .fill-pending { fill: var(--pending); background: var(--pending); }
        svg text { fill: var(--fg); font: 12px system-ui, sans-serif; }
        svg .tick { stroke: var(--line); }
        svg .axis text, svg .muted { fill: var(--muted); font-size: 11px; }
        svg .row:hover .rowbg, svg .row.selected .rowbg { fill: var(--sel); }
        svg .rowbg { fill: transparent; }
        svg .row { cursor: pointer; }
        .layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 2fr); gap: 16px; }
        .panel { border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: var(--panel); min-height: 200px; overflow: auto; }
        .tabs { display: flex; gap: 4px; margin-bottom: 8px; flex-wrap: wrap; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
        dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
        .exception { margin-bottom: 10px; }
        .exception .type { font-weight: 600; color: var(--fault); }
        .node circle { stroke: var(--line); stroke-width: 2; cursor: pointer; }
        .node.selected circle { stroke: var(--accent); stroke-width: 4; }
        .edge { stroke: var(--muted); stroke-width: 1.5; fill: none; }
        #map { border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
        #histogram { display: block; margin-top: 8px; cursor: crosshair; user-select: none; }
        #histogram .band { fill: var(--accent); opacity: 0.25; }
        svg .toggle { cursor: pointer; fill: var(--muted); }
        .edge-hit { stroke: transparent; stroke-width: 12; cursor: pointer; }
        code { font: 12px ui-monospace, monospace; }
        #traces:focus { outline: 2px solid var(--accent); }
        svg .row.dim { opacity: 0.3; }
        #trace-search { float: right; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
        details summary { cursor: pointer; color: var(--muted); }
        .node .ring { fill: none; stroke-width: 6; }
        .node .ring.stroke-ok { stroke: var(--ok); } .node .ring.stroke-error { stroke: var(--error); }
        .node .ring.stroke-fault { stroke: var(--fault); } .node .ring.stroke-throttle { stroke: var(--throttle); }
        select { font: inherit; padding: 4px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
        input[type=datetime-local] { font: inherit; padding: 3px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
        #filter:disabled { opacity: 0.5; }
        #timeline:focus { outline: 2px solid var(--accent); }
        """#

    /// The whole script, one file served as `/ui/app.js`: each page's part lives in its own file.
    static let script = [scriptCore, scriptTraces, scriptTrace, scriptMap, scriptRuns, scriptRouting].joined(separator: "\n")

    /// The script of a saved trace page (`TraceFile`): the helpers and the trace view, no router and no polling.
    static let standaloneScript = [scriptCore, scriptTrace, scriptTraceFile].joined(separator: "\n")

    /// Helpers every page uses: element builders, the API call, time and state formats.
    static let scriptCore = #"""
        "use strict";
        // The xray console. Every value from a trace is untrusted: it reaches the page only through textContent and
        // attribute values of elements built here, never through markup, and no URL from a trace becomes a link.

        const SVG = "http://www.w3.org/2000/svg";

        function el(tag, props, ...children) {
          const node = document.createElement(tag);
          for (const [key, value] of Object.entries(props || {})) {
            if (key === "class") node.className = value;
            else if (key === "onclick") node.addEventListener("click", value);
            else node.setAttribute(key, value);
          }
          for (const child of children) {
            if (child === null || child === undefined) continue;
            node.append(child instanceof Node ? child : document.createTextNode(String(child)));
          }
          return node;
        }

        function svg(tag, attrs, text) {
          const node = document.createElementNS(SVG, tag);
          for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
          if (text !== undefined) node.textContent = String(text);
          return node;
        }

        async function api(path, body) {
          const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
          const response = await fetch(path, init);
          let json = null;
          try { json = await response.json(); } catch (_) { json = null; }
          return { ok: response.ok, status: response.status, json: json || {} };
        }

        function pad(n, width) { return String(n).padStart(width || 2, "0"); }

        /// Local time with milliseconds and the UTC offset, as people read it.
        function localTime(seconds) {
          if (typeof seconds !== "number" || !isFinite(seconds)) return "-";
          const d = new Date(seconds * 1000);
          const offset = -d.getTimezoneOffset();
          const sign = offset >= 0 ? "+" : "-";
          return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" +
            pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3) + " " + sign + pad(Math.floor(Math.abs(offset) / 60)) + pad(Math.abs(offset) % 60);
        }

        function ms(seconds) {
          if (typeof seconds !== "number" || !isFinite(seconds)) return "-";
          const m = seconds * 1000;
          return (m >= 100 ? m.toFixed(0) : m >= 10 ? m.toFixed(1) : m.toFixed(2)) + " ms";
        }

        function stateOf(flags) {
          if (flags.fault) return "fault";
          if (flags.error) return "error";
          if (flags.throttle) return "throttle";
          return "ok";
        }

        const main = () => document.getElementById("main");
        let poller = null;
        let view = null;

        """#

    /// The hash router: `#/traces`, `#/trace/ID`, `#/map`, `#/runs`.
    static let scriptRouting = #"""
        // ---------------------------------------------------------------- Routing

        function route() {
          if (poller) { clearInterval(poller); poller = null; }
          const hash = location.hash || "#/traces";
          const [, page, arg] = hash.match(/^#\/([a-z]+)\/?(.*)$/) || [null, "traces", ""];
          view = page;
          for (const name of ["traces", "map", "runs"]) {
            document.getElementById("nav-" + name).classList.toggle("active", name === page || (name === "traces" && page === "trace"));
          }
          if (page === "trace" && arg) tracePage(decodeURIComponent(arg));
          else if (page === "map") mapPage();
          else if (page === "runs") runsPage();
          else tracesPage();
        }

        window.addEventListener("hashchange", route);
        route();
        """#
}
