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

    static let script = #"""
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

        // ---------------------------------------------------------------- Traces

        const presets = [["5m", 300], ["1h", 3600], ["24h", 86400], ["all", 0], ["custom", -1]];
        const tracesState = { filter: "", preset: "all", selected: null, pages: 1, from: "", to: "", run: null };

        function summaryRow(s) {
          const http = s.Http || {};
          const service = (s.EntryPoint && s.EntryPoint.Name) || "-";
          const state = stateOf({ fault: s.HasFault, error: s.HasError, throttle: s.HasThrottle });
          return [localTime(s.StartTime), http.HttpMethod || "-", http.HttpURL || "-", http.HttpStatus === undefined ? "-" : http.HttpStatus,
            ms(s.ResponseTime === undefined ? s.Duration : s.ResponseTime), service, state];
        }

        /// A table of trace summaries that updates in place: rows are kept by trace id, so scroll and selection survive.
        function traceTable(onOpen) {
          const body = el("tbody", { id: "traces-body" });
          const table = el("table", { id: "traces" },
            el("thead", {}, el("tr", {}, ...["Time", "Method", "URL", "Status", "Response time", "Service", "State"].map((h) => el("th", {}, h)))), body);
          const rows = new Map();
          const empty = el("div", { class: "empty" }, "No traces match.");
          const wrap = el("div", {}, table, empty);
          // Up and down move the selection, Enter opens it: the list without a mouse.
          table.tabIndex = 0;
          table.addEventListener("keydown", (e) => {
            const list = Array.from(body.children);
            if (!list.length || !["ArrowDown", "ArrowUp", "Enter"].includes(e.key)) return;
            e.preventDefault();
            let index = list.findIndex((r) => r.classList.contains("selected"));
            if (e.key === "Enter") { if (index >= 0) onOpen(list[index].getAttribute("data-id")); return; }
            index = e.key === "ArrowDown" ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
            tracesState.selected = list[index].getAttribute("data-id");
            list.forEach((r, i) => r.classList.toggle("selected", i === index));
            list[index].scrollIntoView({ block: "nearest" });
          });
          function update(summaries) {
            const seen = new Set();
            summaries.forEach((s, index) => {
              const id = String(s.Id);
              seen.add(id);
              const cells = summaryRow(s);
              let row = rows.get(id);
              if (!row) {
                row = el("tr", { "data-id": id });
                row.addEventListener("click", () => onOpen(id));
                for (let i = 0; i < cells.length; i++) row.append(el("td"));
                rows.set(id, row);
              }
              cells.forEach((text, i) => {
                const cell = row.children[i];
                if (cell.textContent !== String(text)) cell.textContent = String(text);
                if (i === 6) cell.className = "state state-" + text;
              });
              row.classList.toggle("selected", tracesState.selected === id);
              if (body.children[index] !== row) body.insertBefore(row, body.children[index] || null);
            });
            for (const [id, row] of rows) if (!seen.has(id)) { row.remove(); rows.delete(id); }
            empty.hidden = summaries.length > 0;
          }
          return { node: wrap, update };
        }

        function openTrace(id) {
          tracesState.selected = id;
          location.hash = "#/trace/" + encodeURIComponent(id);
        }

        /// The response-time distribution of the listed traces (X-Ray's analytics view); dragging across it
        /// narrows the filter to that range.
        function responseTimeHistogram(box, onRange) {
          const width = 700, height = 90, bins = 24, left = 40, bottom = 18;
          const chart = svg("svg", { id: "histogram", width, height, viewBox: "0 0 " + width + " " + height });
          const bars = svg("g");
          const axis = svg("g", { class: "axis" });
          const band = svg("rect", { class: "band", x: 0, y: 0, width: 0, height: height - bottom });
          chart.append(bars, axis, band);
          box.replaceChildren(el("div", { class: "muted" }, "Response time (drag to filter)"), chart);
          let low = 0, high = 1, dragFrom = null;
          const toX = (event) => {
            const r = chart.getBoundingClientRect();
            return Math.max(left, Math.min(width, ((event.clientX - r.left) / r.width) * width));
          };
          const toTime = (x) => low + ((x - left) / (width - left)) * (high - low);
          chart.addEventListener("pointerdown", (e) => {
            dragFrom = toX(e);
            chart.setPointerCapture(e.pointerId);
            band.setAttribute("x", dragFrom);
            band.setAttribute("width", 0);
          });
          chart.addEventListener("pointermove", (e) => {
            if (dragFrom === null) return;
            const x = toX(e);
            band.setAttribute("x", Math.min(x, dragFrom));
            band.setAttribute("width", Math.abs(x - dragFrom));
          });
          chart.addEventListener("pointerup", (e) => {
            if (dragFrom === null) return;
            const a = dragFrom, b = toX(e);
            dragFrom = null;
            band.setAttribute("width", 0);
            if (Math.abs(b - a) >= 3) onRange(toTime(Math.min(a, b)), toTime(Math.max(a, b)));
          });
          function update(summaries) {
            const times = summaries.map((s) => (s.ResponseTime === undefined ? s.Duration : s.ResponseTime)).filter((t) => typeof t === "number" && isFinite(t));
            bars.replaceChildren();
            axis.replaceChildren();
            if (!times.length) return;
            low = 0;
            high = Math.max(...times) * 1.05 || 0.001;
            const counts = new Array(bins).fill(0);
            for (const t of times) counts[Math.min(bins - 1, Math.floor(((t - low) / (high - low)) * bins))]++;
            const top = Math.max(...counts);
            const w = (width - left) / bins;
            counts.forEach((n, i) => {
              if (!n) return;
              const h = ((height - bottom - 4) * n) / top;
              bars.append(svg("rect", { class: "fill-ok", x: left + i * w + 1, y: height - bottom - h, width: w - 2, height: h }));
            });
            for (let i = 0; i <= 4; i++) {
              const x = left + ((width - left) * i) / 4;
              axis.append(svg("text", { x, y: height - 4, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, ms(low + ((high - low) * i) / 4)));
            }
            axis.append(svg("text", { x: width, y: 12, "text-anchor": "end" }, "tallest bar: " + top + (top === 1 ? " trace" : " traces")));
          }
          return { update };
        }

        function tracesPage() {
          const input = el("input", { id: "filter", type: "text", spellcheck: "false", placeholder: 'Filter expression, such as service("api") AND responsetime > 0.5' });
          input.value = tracesState.filter;
          const error = el("pre", { id: "filter-error" });
          const buttons = presets.map(([name]) => {
            const b = el("button", { "data-preset": name, class: name === tracesState.preset ? "on" : "" }, name);
            b.addEventListener("click", () => {
              tracesState.preset = name;
              buttons.forEach((x) => x.classList.toggle("on", x === b));
              range.hidden = name !== "custom";
              refresh();
            });
            return b;
          });
          // A custom window in local time, as the browser's date-time fields give it.
          const from = el("input", { id: "range-from", type: "datetime-local", step: "1" });
          const to = el("input", { id: "range-to", type: "datetime-local", step: "1" });
          from.value = tracesState.from;
          to.value = tracesState.to;
          for (const field of [from, to]) field.addEventListener("change", () => { tracesState.from = from.value; tracesState.to = to.value; refresh(); });
          const range = el("span", { id: "range" }, "from ", from, " to ", to);
          range.hidden = tracesState.preset !== "custom";
          // A run picker: the traces one `xray run` captured, instead of the filter and the window.
          const runPicker = el("select", { id: "run-picker", title: "The traces of one xray run" }, el("option", { value: "" }, "All traces"));
          api("/ui/api/runs").then((answer) => {
            for (const run of answer.json.Runs || []) {
              const option = el("option", { value: String(run.Id) }, "run " + run.Id + ": " + (run.Command || []).join(" "));
              if (tracesState.run === run.Id) option.selected = true;
              runPicker.append(option);
            }
          });
          runPicker.addEventListener("change", () => { tracesState.run = runPicker.value ? Number(runPicker.value) : null; tracesState.pages = 1; refresh(); });
          const count = el("span", { id: "trace-count", class: "muted" });
          const groups = el("select", { id: "groups", title: "Saved groups (xray inspect group add)" }, el("option", { value: "" }, "Groups…"));
          api("/ui/api/groups").then((answer) => {
            for (const g of answer.json.Groups || []) groups.append(el("option", { value: String(g.GroupName) }, String(g.GroupName)));
          });
          groups.addEventListener("change", () => {
            if (!groups.value) return;
            input.value = "group.name = " + quoted(groups.value);
            groups.value = "";
            setFilter();
          });
          const table = traceTable(openTrace);
          const chart = el("div", { id: "histogram-box" });
          const more = el("button", { id: "load-more" }, "Load 100 more");
          more.hidden = true;
          more.addEventListener("click", () => { tracesState.pages++; refresh(); });
          main().replaceChildren(el("div", { class: "bar" }, input, groups, runPicker, ...buttons, range, count), error, chart, table.node, more);
          const histogram = responseTimeHistogram(chart, (low, high) => {
            const range = "responsetime >= " + low.toFixed(6) + " AND responsetime <= " + high.toFixed(6);
            const base = tracesState.filter.trim();
            tracesState.filter = base ? "(" + base + ") AND " + range : range;
            input.value = tracesState.filter;
            tracesState.pages = 1;
            refresh();
          });
          let timer = null;
          const setFilter = () => { tracesState.filter = input.value; tracesState.pages = 1; refresh(); };
          input.addEventListener("input", () => {
            clearTimeout(timer);
            timer = setTimeout(setFilter, 250);
          });
          input.addEventListener("keydown", (e) => { if (e.key === "Enter") { clearTimeout(timer); setFilter(); } });
          let busy = false;
          async function refresh() {
            if (busy) return;
            busy = true;
            try {
              const body = {};
              if (tracesState.filter.trim()) body.FilterExpression = tracesState.filter;
              const span = presets.find(([name]) => name === tracesState.preset)[1];
              if (span > 0) body.StartTime = Date.now() / 1000 - span;
              if (span < 0) {
                if (tracesState.from) body.StartTime = new Date(tracesState.from).getTime() / 1000;
                if (tracesState.to) body.EndTime = new Date(tracesState.to).getTime() / 1000;
              }
              input.disabled = tracesState.run !== null;
              // Every page loaded so far, read again each time, so the rows the user paged to stay current too.
              let summaries = [], next = null;
              for (let page = 0; page < tracesState.pages; page++) {
                const answer = tracesState.run !== null ? await api("/ui/api/RunTraces", { RunId: tracesState.run })
                  : await api("/TraceSummaries", next ? Object.assign({ NextToken: next }, body) : body);
                if (!answer.ok) {
                  error.textContent = answer.json.message || "the server answered " + answer.status;
                  return;
                }
                summaries = summaries.concat(answer.json.TraceSummaries || []);
                next = answer.json.NextToken || null;
                if (!next) break;
              }
              error.textContent = "";
              more.hidden = !next;
              count.textContent = (summaries.length === 1 ? "1 trace" : summaries.length + " traces") + (next ? ", newest first; more below" : "");
              table.update(summaries);
              histogram.update(summaries);
              setStatus("updated " + localTime(Date.now() / 1000).slice(11, 19));
            } catch (e) {
              setStatus("server unreachable");
            } finally {
              busy = false;
            }
          }
          refresh();
          poller = setInterval(refresh, 1000);
        }

        function setStatus(text) { document.getElementById("status").textContent = text; }

        // ---------------------------------------------------------------- One trace

        /// Every entity of the trace's documents, linked: inline subsegments under their parent, standalone
        /// documents under the entity their parent_id names; a missing parent makes a root that says so.
        function assemble(documents) {
          const entities = new Map();
          const roots = [];
          function add(doc, parent, raw) {
            if (!doc || typeof doc !== "object") return;
            const node = { doc, parent, children: [], raw, missingParent: null };
            const id = String(doc.id);
            if (!entities.has(id) || (entities.get(id).doc.in_progress && !doc.in_progress)) entities.set(id, node);
            for (const sub of Array.isArray(doc.subsegments) ? doc.subsegments : []) add(sub, node, null);
            return node;
          }
          const tops = documents.map((text) => {
            let doc = null;
            try { doc = JSON.parse(text); } catch (_) { doc = null; }
            return doc ? add(doc, null, text) : null;
          }).filter(Boolean);
          for (const node of tops) {
            const parentID = node.doc.parent_id;
            const parent = parentID !== undefined ? entities.get(String(parentID)) : null;
            if (parent && parent !== node) node.parent = parent;
            else { if (parentID !== undefined && node.doc.type === "subsegment") node.missingParent = String(parentID); roots.push(node); }
          }
          for (const node of entities.values()) if (node.parent && !node.parent.children.includes(node)) node.parent.children.push(node);
          const byStart = (a, b) => (a.doc.start_time || 0) - (b.doc.start_time || 0) || String(a.doc.name).localeCompare(String(b.doc.name));
          function sort(list) { list.sort(byStart); list.forEach((n) => sort(n.children)); }
          sort(roots);
          const flat = [];
          function walk(node, depth) { flat.push({ node, depth }); node.children.forEach((c) => walk(c, depth + 1)); }
          roots.forEach((r) => walk(r, 0));
          return flat;
        }

        function entityState(doc) {
          if (doc.in_progress) return "pending";
          return stateOf({ fault: doc.fault, error: doc.error, throttle: doc.throttle });
        }

        async function tracePage(id) {
          main().replaceChildren(el("div", { class: "empty" }, "Loading trace " + id + "..."));
          const answer = await api("/Traces", { TraceIds: [id] });
          const trace = answer.ok && (answer.json.Traces || [])[0];
          if (!trace) {
            main().replaceChildren(el("div", { class: "empty", id: "trace-missing" }, "No trace " + id + " in this store."));
            return;
          }
          const flat = assemble((trace.Segments || []).map((s) => s.Document));
          const starts = flat.map((f) => f.node.doc.start_time).filter((t) => typeof t === "number");
          const ends = flat.map((f) => f.node.doc.end_time || f.node.doc.start_time).filter((t) => typeof t === "number");
          const t0 = Math.min(...starts), t1 = Math.max(...ends);
          const span = Math.max(t1 - t0, 1e-6);
          const details = el("div", { class: "panel", id: "details" });
          const legend = el("div", { class: "legend", id: "legend" },
            ...[["ok", "OK"], ["error", "Error (4xx)"], ["fault", "Fault (5xx)"], ["throttle", "Throttled (429)"], ["pending", "In progress"]]
              .map(([state, label]) => el("span", {}, el("span", { class: "swatch fill-" + state }), label)));
          const labelWidth = 300, barWidth = 560, rowHeight = 22, top = 24, width = labelWidth + barWidth + 150;
          const chart = svg("svg", { id: "timeline", width: "100%", height: top + flat.length * rowHeight + 4, viewBox: "0 0 " + width + " " + (top + flat.length * rowHeight + 4) });
          const axis = svg("g", { class: "axis" });
          for (let i = 0; i <= 5; i++) {
            const x = labelWidth + (barWidth * i) / 5;
            axis.append(svg("line", { class: "tick", x1: x, x2: x, y1: 14, y2: top + flat.length * rowHeight }));
            axis.append(svg("text", { x, y: 11, "text-anchor": i === 0 ? "start" : i === 5 ? "end" : "middle" }, ms((span * i) / 5)));
          }
          chart.append(axis);
          const rows = [];
          const collapsed = new Set();
          function layout() {
            let y = top, hidden = null;
            flat.forEach(({ node, depth }, index) => {
              if (hidden !== null && depth > hidden) { rows[index].setAttribute("display", "none"); return; }
              hidden = collapsed.has(index) ? depth : null;
              rows[index].removeAttribute("display");
              rows[index].setAttribute("transform", "translate(0," + (y - (top + index * rowHeight)) + ")");
              y += rowHeight;
            });
          }
          flat.forEach(({ node, depth }, index) => {
            const doc = node.doc;
            const y = top + index * rowHeight;
            const start = typeof doc.start_time === "number" ? doc.start_time : t0;
            const end = typeof doc.end_time === "number" ? doc.end_time : t1;
            const state = entityState(doc);
            const row = svg("g", { class: "row", "data-index": index });
            row.append(svg("rect", { class: "rowbg", x: 0, y, width, height: rowHeight }));
            const name = String(doc.name === undefined ? "?" : doc.name) + (node.missingParent ? " (parent " + node.missingParent + " missing)" : "");
            if (node.children.length) {
              const toggle = svg("text", { x: 4 + depth * 14, y: y + 15, class: "toggle", "data-index": index }, "▾");
              toggle.addEventListener("click", (e) => {
                e.stopPropagation();
                if (collapsed.has(index)) collapsed.delete(index); else collapsed.add(index);
                toggle.textContent = collapsed.has(index) ? "▸" : "▾";
                layout();
              });
              row.append(toggle);
            }
            row.append(svg("text", { x: 16 + depth * 14, y: y + 15, class: "label" }, name.length > 40 ? name.slice(0, 39) + "…" : name));
            const x = labelWidth + ((start - t0) / span) * barWidth;
            const w = Math.max(((end - start) / span) * barWidth, 2);
            row.append(svg("rect", { class: "bar fill-" + state, x, y: y + 4, width: w, height: rowHeight - 8, rx: 2 }));
            row.append(svg("text", { x: Math.min(x + w + 4, labelWidth + barWidth + 4), y: y + 15, class: "muted" },
              "+" + ms(start - t0) + " " + (doc.in_progress ? "in progress" : ms(end - start))));
            row.addEventListener("click", () => select(index));
            rows.push(row);
            chart.append(row);
          });
          let current = 0;
          function select(index) {
            current = index;
            rows.forEach((r, i) => r.classList.toggle("selected", i === index));
            showDetails(details, flat[index].node, t0);
          }
          // The tree by keyboard: up and down move between the visible entities, left collapses, right expands.
          chart.setAttribute("tabindex", "0");
          chart.addEventListener("keydown", (e) => {
            const visible = rows.map((r, i) => i).filter((i) => rows[i].getAttribute("display") !== "none");
            const at = visible.indexOf(current);
            if (e.key === "ArrowDown" && at < visible.length - 1) select(visible[at + 1]);
            else if (e.key === "ArrowUp" && at > 0) select(visible[at - 1]);
            else if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && flat[current].node.children.length) {
              if (e.key === "ArrowLeft") collapsed.add(current); else collapsed.delete(current);
              const toggle = rows[current].querySelector(".toggle");
              if (toggle) toggle.textContent = collapsed.has(current) ? "▸" : "▾";
              layout();
            } else return;
            e.preventDefault();
          });
          // Search within the trace: rows whose document holds the text stay bright, the others dim.
          const search = el("input", { id: "trace-search", type: "search", placeholder: "Search this trace", spellcheck: "false" });
          const texts = flat.map(({ node }) => { const copy = Object.assign({}, node.doc); delete copy.subsegments; return JSON.stringify(copy).toLowerCase(); });
          search.addEventListener("input", () => {
            const needle = search.value.trim().toLowerCase();
            rows.forEach((r, i) => r.classList.toggle("dim", needle !== "" && !texts[i].includes(needle)));
          });
          main().replaceChildren(
            el("h2", { id: "trace-title" }, "Trace " + id),
            search,
            el("div", { class: "muted" }, flat.length + (flat.length === 1 ? " entity, " : " entities, ") + ms(t1 - t0) + ", started " + localTime(t0)),
            el("div", { class: "muted" }, "In a terminal: ", el("code", { id: "cli-command" }, "xray inspect show " + id)),
            legend,
            el("div", { class: "layout" }, el("div", { class: "panel" }, chart), details));
          if (flat.length) select(0);
        }

        const tabs = ["Overview", "Annotations", "Metadata", "SQL", "Exceptions", "Raw"];
        let currentTab = "Overview";

        function definitionList(pairs) {
          const list = el("dl");
          for (const [key, value] of pairs) {
            if (value === undefined || value === null || value === "") continue;
            list.append(el("dt", {}, key), el("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value)));
          }
          return list;
        }

        function showDetails(panel, node, t0) {
          const doc = node.doc;
          const bar = el("div", { class: "tabs" });
          const content = el("div", { id: "tab-content" });
          const buttons = tabs.map((name) => {
            const b = el("button", { "data-tab": name }, name);
            b.addEventListener("click", () => { currentTab = name; render(); });
            bar.append(b);
            return b;
          });
          function render() {
            buttons.forEach((b) => b.classList.toggle("on", b.getAttribute("data-tab") === currentTab));
            content.replaceChildren(tabContent(currentTab, node, t0));
          }
          panel.replaceChildren(el("h2", { id: "details-name" }, String(doc.name === undefined ? "?" : doc.name)), bar, content);
          render();
        }

        function tabContent(tab, node, t0) {
          const doc = node.doc;
          const http = doc.http || {};
          const request = http.request || {}, response = http.response || {};
          switch (tab) {
            case "Overview":
              return definitionList([
                ["Name", doc.name], ["Id", doc.id], ["Type", doc.type || (node.parent ? "subsegment" : "segment")], ["Origin", doc.origin],
                ["Namespace", doc.namespace], ["Start", localTime(doc.start_time)], ["End", doc.in_progress ? "in progress" : localTime(doc.end_time)],
                ["Offset", "+" + ms(doc.start_time - t0)], ["Duration", doc.in_progress ? "-" : ms(doc.end_time - doc.start_time)],
                ["State", entityState(doc)], ["Method", request.method], ["URL", request.url], ["Client IP", request.client_ip],
                ["User agent", request.user_agent], ["Status", response.status], ["Content length", response.content_length],
              ]);
            case "Annotations": {
              const entries = Object.entries(doc.annotations || {});
              if (!entries.length) return el("div", { class: "empty" }, "No annotations.");
              return el("table", { id: "annotations" }, el("tbody", {}, ...entries.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, JSON.stringify(v))))));
            }
            case "Metadata": {
              if (!doc.metadata || typeof doc.metadata !== "object") return el("div", { class: "empty" }, "No metadata.");
              // One collapsible block per namespace, as the SDKs group metadata.
              return el("div", { id: "metadata" }, ...Object.entries(doc.metadata).map(([namespace, value]) =>
                el("details", { open: "" }, el("summary", {}, namespace), el("pre", {}, JSON.stringify(value, null, 2)))));
            }
            case "SQL": {
              const sql = doc.sql;
              if (!sql) return el("div", { class: "empty" }, "No SQL.");
              const query = sql.sanitized_query || sql.query;
              return el("div", {}, definitionList([["Database", sql.database_type], ["Version", sql.database_version], ["Driver", sql.driver_version],
                ["User", sql.user], ["URL", sql.url], ["Preparation", sql.preparation]]), query ? el("pre", { id: "sql-query" }, String(query)) : null);
            }
            case "Exceptions": {
              const exceptions = (doc.cause && Array.isArray(doc.cause.exceptions)) ? doc.cause.exceptions : [];
              if (!exceptions.length) return el("div", { class: "empty" }, doc.cause && doc.cause.id ? "Cause: exception " + doc.cause.id : "No exceptions.");
              return el("div", { id: "exceptions" }, ...exceptions.map((x) => el("div", { class: "exception" },
                el("div", {}, el("span", { class: "type" }, String(x.type || "Exception")), ": ", String(x.message || "")),
                x.cause ? el("div", { class: "muted" }, "caused by exception " + String(x.cause) +
                  (exceptions.some((y) => y.id === x.cause) ? "" : " (recorded in another entity)")) : null,
                el("pre", {}, (Array.isArray(x.stack) ? x.stack : []).map((f) => "  " + String(f.path || "?") + ":" + String(f.line === undefined ? "?" : f.line) +
                  (f.label ? "  in " + String(f.label) : "")).join("\n")))));
            }
            default: {
              const copy = Object.assign({}, doc);
              delete copy.subsegments;
              return el("pre", { id: "raw" }, JSON.stringify(copy, null, 2));
            }
          }
        }

        // ---------------------------------------------------------------- Map

        async function mapPage() {
          main().replaceChildren(el("div", { class: "empty" }, "Loading the service map..."));
          const answer = await api("/ServiceGraph", {});
          const services = answer.ok ? (answer.json.Services || []) : [];
          if (!answer.ok) { main().replaceChildren(el("pre", { id: "map-error" }, answer.json.message || "the server answered " + answer.status)); return; }
          if (!services.length) { main().replaceChildren(el("div", { class: "empty", id: "map" }, "No services yet.")); return; }
          const byRef = new Map(services.map((s) => [s.ReferenceId, s]));
          const incoming = new Map(services.map((s) => [s.ReferenceId, 0]));
          for (const s of services) for (const e of s.Edges || []) if (incoming.has(e.ReferenceId)) incoming.set(e.ReferenceId, incoming.get(e.ReferenceId) + 1);
          // Layers: longest path from a node nothing calls, so callers sit left of what they call.
          const layer = new Map();
          const visit = (ref, depth, path) => {
            if (path.has(ref) || (layer.get(ref) || -1) >= depth) return;
            layer.set(ref, depth);
            path.add(ref);
            for (const e of (byRef.get(ref) || {}).Edges || []) if (byRef.has(e.ReferenceId)) visit(e.ReferenceId, depth + 1, path);
            path.delete(ref);
          };
          for (const s of services) if (incoming.get(s.ReferenceId) === 0) visit(s.ReferenceId, 0, new Set());
          for (const s of services) if (!layer.has(s.ReferenceId)) visit(s.ReferenceId, 0, new Set());
          const columns = [];
          for (const s of services) { const l = layer.get(s.ReferenceId); (columns[l] = columns[l] || []).push(s); }
          const colWidth = 240, rowHeight = 110, pos = new Map();
          columns.forEach((col, c) => col.forEach((s, r) => pos.set(s.ReferenceId, { x: 90 + c * colWidth, y: 60 + r * rowHeight })));
          const width = 90 + columns.length * colWidth, height = 40 + Math.max(...columns.map((c) => c.length)) * rowHeight;
          const chart = svg("svg", { id: "map", width, height, viewBox: "0 0 " + width + " " + height });
          const list = el("div", { id: "map-traces" });
          for (const s of services) for (const e of s.Edges || []) {
            const a = pos.get(s.ReferenceId), b = pos.get(e.ReferenceId);
            if (!a || !b || a === b) continue;
            chart.append(svg("line", { class: "edge", x1: a.x + 28, y1: a.y, x2: b.x - 28, y2: b.y }));
            // A wide transparent twin takes the clicks a 1.5-pixel line would miss.
            const hit = svg("line", { class: "edge-hit", "data-edge": String(s.Name) + " -> " + String((byRef.get(e.ReferenceId) || {}).Name),
              x1: a.x + 28, y1: a.y, x2: b.x - 28, y2: b.y });
            hit.addEventListener("click", () => {
              nodes.forEach((n) => n.classList.remove("selected"));
              listFilter(edgeFilter(String(s.Name), String((byRef.get(e.ReferenceId) || {}).Name)), list);
            });
            chart.append(hit);
            const calls = (e.SummaryStatistics || {}).TotalCount;
            // Near the callee, where the edges of one caller have fanned apart.
            chart.append(svg("text", { class: "muted", x: a.x + (b.x - a.x) * 0.7, y: a.y + (b.y - a.y) * 0.7 - 6, "text-anchor": "middle" },
              (calls === undefined ? "" : calls === 1 ? "1 call" : calls + " calls") + (e.SummaryStatistics && e.SummaryStatistics.TotalResponseTime !== undefined && calls ?
                ", " + ms(e.SummaryStatistics.TotalResponseTime / calls) : "")));
          }
          const nodes = [];
          for (const s of services) {
            const p = pos.get(s.ReferenceId);
            const stats = s.SummaryStatistics || {};
            const state = stateOf({ fault: (stats.FaultStatistics || {}).TotalCount > 0, error: (stats.ErrorStatistics || {}).TotalCount > 0, throttle: ((stats.ErrorStatistics || {}).ThrottleCount || 0) > 0 });
            const g = svg("g", { class: "node", "data-name": String(s.Name) });
            g.append(svg("circle", { class: "fill-" + state, cx: p.x, cy: p.y, r: 26 }));
            // The health ring, as the X-Ray console draws it: each arc the share of requests ok, error, throttled, fault.
            const errors = stats.ErrorStatistics || {}, faults = stats.FaultStatistics || {};
            const throttled = errors.ThrottleCount || 0;
            const parts = [["ok", stats.OkCount || 0], ["error", (errors.TotalCount || 0) - throttled], ["throttle", throttled], ["fault", faults.TotalCount || 0]];
            const total = parts.reduce((sum, [, n]) => sum + n, 0);
            const circumference = 2 * Math.PI * 32;
            let offset = 0;
            for (const [part, n] of parts) {
              if (!total || !n) continue;
              const length = (n / total) * circumference;
              g.append(svg("circle", { class: "ring stroke-" + part, "data-part": part, "data-count": n, cx: p.x, cy: p.y, r: 32,
                "stroke-dasharray": length + " " + (circumference - length), "stroke-dashoffset": -offset, transform: "rotate(-90 " + p.x + " " + p.y + ")" }));
              offset += length;
            }
            g.append(svg("text", { x: p.x, y: p.y + 50, "text-anchor": "middle" }, String(s.Name)));
            g.append(svg("text", { class: "muted", x: p.x, y: p.y + 64, "text-anchor": "middle" },
              [s.Type, stats.TotalCount === undefined ? null : stats.TotalCount + " req",
                stats.TotalCount && stats.TotalResponseTime !== undefined ? "avg " + ms(stats.TotalResponseTime / stats.TotalCount) : null].filter(Boolean).join(" · ")));
            g.addEventListener("click", () => {
              nodes.forEach((n) => n.classList.toggle("selected", n === g));
              listFilter(serviceFilter(String(s.Name)), list);
            });
            nodes.push(g);
            chart.append(g);
          }
          main().replaceChildren(el("div", { class: "legend" }, ...[["ok", "OK"], ["error", "Errors"], ["fault", "Faults"], ["throttle", "Throttled"]]
            .map(([state, label]) => el("span", {}, el("span", { class: "swatch fill-" + state }), label))), chart, list);
        }

        /// A name as a double-quoted filter string, its quotes and backslashes escaped.
        function quoted(name) { return '"' + name.replace(/[\\"]/g, (c) => "\\" + c) + '"'; }
        function serviceFilter(name) { return "service(" + quoted(name) + ")"; }
        function edgeFilter(from, to) { return "edge(" + quoted(from) + ", " + quoted(to) + ")"; }

        async function listFilter(filter, list) {
          const answer = await api("/TraceSummaries", { FilterExpression: filter });
          const table = traceTable(openTrace);
          const use = el("button", { id: "use-filter" }, "Open in Traces");
          use.addEventListener("click", () => { tracesState.filter = filter; location.hash = "#/traces"; });
          list.replaceChildren(el("h2", { id: "map-filter" }, "Traces matching " + filter), use, answer.ok ? table.node : el("pre", {}, answer.json.message || ""));
          if (answer.ok) table.update(answer.json.TraceSummaries || []);
        }

        // ---------------------------------------------------------------- Runs

        async function runsPage() {
          const answer = await api("/ui/api/runs");
          const runs = answer.ok ? (answer.json.Runs || []) : [];
          const list = el("div", { id: "run-traces" });
          const body = el("tbody", { id: "runs-body" });
          for (const run of runs) {
            const duration = typeof run.EndTime === "number" ? ms(run.EndTime - run.StartTime) : "-";
            const row = el("tr", { "data-run": String(run.Id) }, el("td", {}, run.Id), el("td", {}, localTime(run.StartTime)),
              el("td", {}, (run.Command || []).join(" ")), el("td", {}, run.ExitStatus === null || run.ExitStatus === undefined ? "-" : run.ExitStatus),
              el("td", {}, duration), el("td", {}, run.TraceCount));
            row.addEventListener("click", async () => {
              body.querySelectorAll("tr").forEach((r) => r.classList.toggle("selected", r === row));
              const traces = await api("/ui/api/RunTraces", { RunId: run.Id });
              const table = traceTable(openTrace);
              list.replaceChildren(el("h2", {}, "Traces of run " + run.Id), traces.ok ? table.node : el("pre", {}, traces.json.message || ""));
              if (traces.ok) table.update(traces.json.TraceSummaries || []);
            });
            body.append(row);
          }
          main().replaceChildren(runs.length ? el("table", { id: "runs" },
            el("thead", {}, el("tr", {}, ...["Run", "Started", "Command", "Exit", "Duration", "Traces"].map((h) => el("th", {}, h)))), body)
            : el("div", { class: "empty", id: "runs" }, "No runs yet: xray run -- COMMAND records one."), list);
        }

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
