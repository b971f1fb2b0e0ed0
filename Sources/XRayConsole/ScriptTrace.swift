extension ConsoleAssets {
    /// One trace: the timeline, the tree and the details tabs.
    static let scriptTrace = #"""
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

        /// The console's trace page: the trace read through BatchGetTraces, its exports from /ui/api/Export.
        async function tracePage(id) {
          main().replaceChildren(el("div", { class: "empty" }, "Loading trace " + id + "..."));
          const answer = await api("/Traces", { TraceIds: [id] });
          const trace = answer.ok && (answer.json.Traces || [])[0];
          if (!trace) {
            main().replaceChildren(el("div", { class: "empty", id: "trace-missing" }, "No trace " + id + " in this store."));
            return;
          }
          traceView(id, trace, [
            exportButton("export-xray", "X-Ray JSON", id + ".xray.json", () => served(id, "xray")),
            exportButton("export-otlp", "OTLP/JSON", id + ".otlp.json", () => served(id, "otlp")),
          ]);
        }

        /// One export as the server writes it: the bytes `xray inspect show ID --format xray` or
        /// `xray inspect export ID --format otlp` prints.
        async function served(id, format) {
          const response = await fetch("/ui/api/Export", { method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ TraceId: id, Format: format }) });
          if (!response.ok) throw new Error("the export failed: HTTP " + response.status);
          return response.text();
        }

        /// A button that saves `text()` as a file through a Blob: the link that starts the download is never
        /// part of the page, and its name is the trace id with anything but letters, digits and - replaced.
        function exportButton(id, label, name, text) {
          const button = el("button", { id, class: "export" }, label);
          button.addEventListener("click", async () => {
            let body;
            try { body = await text(); } catch (error) { button.textContent = label + ": " + error.message; return; }
            const url = URL.createObjectURL(new Blob([body], { type: "application/json" }));
            const link = document.createElement("a");
            link.href = url;
            link.download = name.replace(/[^A-Za-z0-9.-]/g, "_");
            link.click();
            setTimeout(() => URL.revokeObjectURL(url), 60000);
          });
          return button;
        }

        /// The CLI command that shows this trace, and a button that copies it (or selects it where the
        /// clipboard is refused, as on a page not served over a secure origin).
        function cliCommand(id) {
          const command = "xray inspect show " + id;
          const code = el("code", { id: "cli-command" }, command);
          const copy = el("button", { id: "copy-command" }, "Copy");
          copy.addEventListener("click", async () => {
            try {
              await navigator.clipboard.writeText(command);
              copy.textContent = "Copied";
            } catch (_) {
              const range = document.createRange();
              range.selectNodeContents(code);
              getSelection().removeAllRanges();
              getSelection().addRange(range);
              copy.textContent = "Selected: press Ctrl-C";
            }
          });
          return el("div", { class: "muted" }, "In a terminal: ", code, " ", copy);
        }

        /// The trace view, served or standalone: the timeline and tree, the legend, search, the details tabs and
        /// the export controls given (`exports`: buttons, or a note where an export is not at hand).
        function traceView(id, trace, exports) {
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
            cliCommand(id),
            el("div", { class: "bar", id: "exports" }, "Export: ", ...exports),
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

        """#

    /// The trace view of a file `xray inspect show ID --format html` wrote: the same view over the
    /// BatchGetTraces response embedded in the page, which is also what its X-Ray JSON export saves.
    static let scriptTraceFile = #"""
        // ---------------------------------------------------------------- One trace, from this file

        (function () {
          const text = document.getElementById("trace-data").textContent;
          const trace = (JSON.parse(text).Traces || [])[0];
          if (!trace) {
            main().replaceChildren(el("div", { class: "empty", id: "trace-missing" }, "This file holds no trace."));
            return;
          }
          const id = String(trace.Id);
          traceView(id, trace, [
            exportButton("export-xray", "X-Ray JSON", id + ".xray.json", async () => text),
            el("span", { class: "muted", id: "export-otlp-note" }, "OTLP/JSON needs the store: xray inspect export " + id + " --format otlp"),
          ]);
        })();
        """#
}
