extension ConsoleAssets {
    /// The service map: layered layout, health rings, clicks that list traces.
    static let scriptMap = #"""
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

        """#
}
