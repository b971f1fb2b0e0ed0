extension ConsoleAssets {
    /// The service map: a layered layout (Sugiyama's steps: cycles broken, layers by longest path, long edges
    /// routed through placeholders, crossings reduced by barycenter sweeps), health rings, clicks that list traces.
    static let scriptMap = #"""
        // ---------------------------------------------------------------- Map

        const mapGeometry = { column: 300, row: 132, placeholder: 26, margin: 48, radius: 26, ring: 32, label: 190 };

        /// Layers and order for a directed graph: `ids` the nodes, `edges` {from, to}. Returns each node's layer and
        /// slot, and for each edge the chain of placeholder vertices it passes through, so no edge crosses a node.
        function layeredLayout(ids, edges) {
          const out = new Map(ids.map((id) => [id, []])), into = new Map(ids.map((id) => [id, []]));
          for (const e of edges) { out.get(e.from).push(e.to); into.get(e.to).push(e.from); }
          // Cycles: a depth-first walk from the roots marks the edges that lead back onto its path; they are laid out
          // reversed and drawn as they are.
          const state = new Map(), back = new Set();
          const walk = (id) => {
            state.set(id, 1);
            for (const to of out.get(id)) {
              if (state.get(to) === 1) back.add(id + ">" + to);
              else if (!state.has(to)) walk(to);
            }
            state.set(id, 2);
          };
          for (const id of ids) if (!into.get(id).length && !state.has(id)) walk(id);
          for (const id of ids) if (!state.has(id)) walk(id);
          const forward = edges.map((e) => (back.has(e.from + ">" + e.to) ? { from: e.to, to: e.from, reversed: true } : { from: e.from, to: e.to, reversed: false }));
          // Layers: the longest path from a node nothing calls, so every caller sits left of what it calls.
          const preds = new Map(ids.map((id) => [id, []]));
          for (const e of forward) preds.get(e.to).push(e.from);
          const layer = new Map();
          // With the back edges turned round the graph has no cycle, so the memoized walk ends.
          const depth = (id) => {
            if (!layer.has(id)) layer.set(id, preds.get(id).reduce((d, p) => Math.max(d, depth(p) + 1), 0));
            return layer.get(id);
          };
          for (const id of ids) depth(id);
          // Vertices: the nodes, then one placeholder per layer a long edge spans.
          const vertices = ids.map((id) => ({ id, layer: layer.get(id), placeholder: false }));
          const index = new Map(ids.map((id, i) => [id, i]));
          const up = vertices.map(() => []), down = vertices.map(() => []);
          const chains = forward.map((e) => {
            const chain = [index.get(e.from)];
            for (let l = layer.get(e.from) + 1; l < layer.get(e.to); l++) {
              vertices.push({ id: null, layer: l, placeholder: true });
              up.push([]); down.push([]);
              chain.push(vertices.length - 1);
            }
            chain.push(index.get(e.to));
            for (let i = 1; i < chain.length; i++) { down[chain[i - 1]].push(chain[i]); up[chain[i]].push(chain[i - 1]); }
            return chain;
          });
          const layers = [];
          vertices.forEach((v, i) => (layers[v.layer] = layers[v.layer] || []).push(i));
          // Crossings: a few barycenter sweeps down and up, keeping the order with the fewest crossings seen.
          const slot = new Map();
          const number = () => layers.forEach((list) => list.forEach((v, i) => slot.set(v, i)));
          const between = (l) => {
            let n = 0;
            const pairs = [];
            for (const v of layers[l]) for (const w of down[v]) pairs.push([slot.get(v), slot.get(w)]);
            for (let i = 0; i < pairs.length; i++) for (let j = i + 1; j < pairs.length; j++) {
              if ((pairs[i][0] - pairs[j][0]) * (pairs[i][1] - pairs[j][1]) < 0) n++;
            }
            return n;
          };
          const crossings = () => layers.reduce((n, _, l) => n + (l + 1 < layers.length ? between(l) : 0), 0);
          const around = (l) => (l > 0 ? between(l - 1) : 0) + (l + 1 < layers.length ? between(l) : 0);
          // Then neighbours swapped wherever that alone removes crossings, which the averages miss.
          const transpose = () => {
            for (let pass = 0, better = true; better && pass < 4; pass++) {
              better = false;
              layers.forEach((list, l) => {
                for (let i = 0; i + 1 < list.length; i++) {
                  const before = around(l);
                  const swap = () => { [list[i], list[i + 1]] = [list[i + 1], list[i]]; slot.set(list[i], i); slot.set(list[i + 1], i + 1); };
                  swap();
                  if (around(l) < before) better = true; else swap();
                }
              });
            }
          };
          const sweep = (list, neighbours) => {
            const centre = new Map(list.map((v) => {
              const near = neighbours[v].map((w) => slot.get(w));
              return [v, near.length ? near.reduce((a, b) => a + b, 0) / near.length : slot.get(v)];
            }));
            list.sort((a, b) => centre.get(a) - centre.get(b) || slot.get(a) - slot.get(b));
            list.forEach((v, i) => slot.set(v, i));
          };
          number();
          let best = layers.map((list) => list.slice()), fewest = crossings();
          for (let round = 0; round < 6 && fewest > 0; round++) {
            for (let l = 1; l < layers.length; l++) sweep(layers[l], up);
            for (let l = layers.length - 2; l >= 0; l--) sweep(layers[l], down);
            // Each swap recounts the crossings around its layer: affordable for the maps people read, not for thousands.
            if (vertices.length <= 200) transpose();
            const n = crossings();
            if (n < fewest) { fewest = n; best = layers.map((list) => list.slice()); }
          }
          best.forEach((list, l) => (layers[l] = list));
          number();
          return { vertices, layers, chains, forward, crossings: fewest };
        }

        /// Shortens `node`'s text with an ellipsis until it is at most `width` pixels wide (it must be in the page).
        function fitText(node, text, width) {
          node.textContent = text;
          if (node.getComputedTextLength() <= width) return;
          const chars = Array.from(text);
          let low = 0, high = chars.length;
          while (low < high) {
            const mid = (low + high + 1) >> 1;
            node.textContent = chars.slice(0, mid).join("") + "…";
            if (node.getComputedTextLength() <= width) low = mid; else high = mid - 1;
          }
          node.textContent = chars.slice(0, low).join("") + "…";
        }

        /// A node X-Ray infers from a call, not from a segment: its type is what ServiceGraph gives an uninstrumented
        /// callee (`remote`, or `AWS::` and the subsegment's name for an AWS SDK call).
        function isInferredNode(s) { return s.Type === "remote" || (typeof s.Type === "string" && s.Type === "AWS::" + String(s.Name)); }

        async function mapPage() {
          main().replaceChildren(el("div", { class: "empty" }, "Loading the service map..."));
          const answer = await api("/ServiceGraph", {});
          const services = answer.ok ? (answer.json.Services || []) : [];
          if (!answer.ok) { main().replaceChildren(el("pre", { id: "map-error" }, answer.json.message || "the server answered " + answer.status)); return; }
          if (!services.length) { main().replaceChildren(el("div", { class: "empty", id: "map" }, "No services yet.")); return; }
          const byRef = new Map(services.map((s) => [s.ReferenceId, s]));
          const links = [];
          for (const s of services) for (const e of s.Edges || []) {
            if (byRef.has(e.ReferenceId) && e.ReferenceId !== s.ReferenceId) links.push({ from: s.ReferenceId, to: e.ReferenceId, edge: e });
          }
          const g = mapGeometry;
          const plan = layeredLayout(services.map((s) => s.ReferenceId), links);
          // Each layer a column; slots top to bottom, placeholders thinner than nodes; columns centred on the tallest.
          const heightOf = (v) => (plan.vertices[v].placeholder ? g.placeholder : g.row);
          const columnHeight = plan.layers.map((list) => list.reduce((sum, v) => sum + heightOf(v), 0));
          const tallest = Math.max(...columnHeight);
          const point = new Map();
          plan.layers.forEach((list, l) => {
            let y = g.margin + (tallest - columnHeight[l]) / 2;
            for (const v of list) {
              // A node's circle sits in the upper part of its slot, its three label lines below it.
              point.set(v, { x: g.margin + g.label / 2 + l * g.column, y: y + (plan.vertices[v].placeholder ? g.placeholder / 2 : g.ring + 6) });
              y += heightOf(v);
            }
          });
          const width = 2 * g.margin + g.label + (plan.layers.length - 1) * g.column, height = 2 * g.margin + tallest;
          const chart = svg("svg", { id: "map", width, height, viewBox: "0 0 " + width + " " + height, "data-crossings": plan.crossings });
          const defs = svg("defs");
          const arrow = svg("marker", { id: "map-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
          arrow.append(svg("path", { class: "muted", d: "M0,0 L10,5 L0,10 z" }));
          defs.append(arrow);
          chart.append(defs);
          // A wide map scrolls sideways inside its box instead of squeezing the nodes together.
          const scroller = el("div", { id: "map-scroll" }, chart);
          scroller.style.overflow = "auto";
          scroller.style.maxWidth = "100%";
          const list = el("div", { id: "map-traces" });
          main().replaceChildren(el("div", { class: "legend" }, ...[["ok", "OK"], ["error", "Errors"], ["fault", "Faults"], ["throttle", "Throttled"]]
            .map(([state, label]) => el("span", {}, el("span", { class: "swatch fill-" + state }), label)),
            el("span", { class: "muted" }, "pale and dashed: inferred from calls, not traced")), scroller, list);
          const nodes = [];
          const edgeLayer = svg("g", { class: "edges" }), nodeLayer = svg("g", { class: "nodes" });
          chart.append(edgeLayer, nodeLayer);
          const nodeVertex = new Map(plan.vertices.map((v, i) => [v.id, i]).filter(([id]) => id !== null));
          links.forEach((link, i) => {
            const s = byRef.get(link.from), e = link.edge;
            // The chain runs left to right; an edge laid out reversed (a call back up a cycle) is drawn from its caller.
            const chain = plan.chains[i].map((v) => point.get(v));
            const reversed = plan.forward[i].reversed;
            const pts = chain.map((p) => ({ x: p.x, y: p.y }));
            pts[0].x += g.ring + 3;
            pts[pts.length - 1].x -= g.ring + 3;
            if (reversed) pts.reverse();
            let d = "M" + pts[0].x + "," + pts[0].y;
            for (let k = 1; k < pts.length; k++) {
              const a = pts[k - 1], b = pts[k], mid = (a.x + b.x) / 2;
              d += " C" + mid + "," + a.y + " " + mid + "," + b.y + " " + b.x + "," + b.y;
            }
            const name = String((byRef.get(link.to) || {}).Name);
            const line = svg("path", { class: "edge", d, fill: "none", "marker-end": "url(#map-arrow)", "data-from": String(s.Name), "data-to": name });
            // A wide transparent twin takes the clicks a 1.5-pixel line would miss.
            const hit = svg("path", { class: "edge-hit", d, fill: "none", "data-edge": String(s.Name) + " -> " + name });
            hit.append(svg("title", {}, String(s.Name) + " → " + name));
            hit.addEventListener("click", () => {
              nodes.forEach((n) => n.classList.remove("selected"));
              listFilter(edgeFilter(String(s.Name), name), list);
            });
            edgeLayer.append(line, hit);
            const calls = (e.SummaryStatistics || {}).TotalCount;
            const text = (calls === undefined ? "" : calls === 1 ? "1 call" : calls + " calls") + (e.SummaryStatistics && e.SummaryStatistics.TotalResponseTime !== undefined && calls ?
              ", " + ms(e.SummaryStatistics.TotalResponseTime / calls) : "");
            // On the edge's last stretch, into the callee, where the edges of one caller have fanned apart.
            const length = line.getTotalLength();
            const at = line.getPointAtLength(length * 0.7);
            if (text) edgeLayer.append(svg("text", { class: "muted edge-label", x: at.x, y: at.y - 5, "text-anchor": "middle" }, text));
          });
          for (const s of services) {
            const p = point.get(nodeVertex.get(s.ReferenceId));
            const stats = s.SummaryStatistics || {};
            const client = s.Type === "client";
            const inferred = isInferredNode(s);
            const state = client ? "pending" : stateOf({ fault: (stats.FaultStatistics || {}).TotalCount > 0, error: (stats.ErrorStatistics || {}).TotalCount > 0, throttle: ((stats.ErrorStatistics || {}).ThrottleCount || 0) > 0 });
            const node = svg("g", { class: "node" + (inferred ? " inferred" : ""), "data-name": String(s.Name), "data-inferred": String(inferred) });
            node.append(svg("title", {}, String(s.Name) + (s.Type ? " (" + String(s.Type) + ")" : "")));
            const disc = { class: "fill-" + state, cx: p.x, cy: p.y, r: g.radius };
            if (inferred) Object.assign(disc, { "stroke-dasharray": "5 4", "fill-opacity": 0.45 });
            node.append(svg("circle", disc));
            // The health ring, as the X-Ray console draws it: each arc the share of requests ok, error, throttled, fault.
            const errors = stats.ErrorStatistics || {}, faults = stats.FaultStatistics || {};
            const throttled = errors.ThrottleCount || 0;
            const parts = [["ok", stats.OkCount || 0], ["error", (errors.TotalCount || 0) - throttled], ["throttle", throttled], ["fault", faults.TotalCount || 0]];
            const total = parts.reduce((sum, [, n]) => sum + n, 0);
            const circumference = 2 * Math.PI * g.ring;
            let offset = 0;
            for (const [part, n] of parts) {
              if (!total || !n) continue;
              const length = (n / total) * circumference;
              node.append(svg("circle", { class: "ring stroke-" + part, "data-part": part, "data-count": n, cx: p.x, cy: p.y, r: g.ring,
                "stroke-dasharray": length + " " + (circumference - length), "stroke-dashoffset": -offset, transform: "rotate(-90 " + p.x + " " + p.y + ")" }));
              offset += length;
            }
            const lines = [[String(s.Name), "label"], [s.Type ? String(s.Type) : "", "muted"],
              [[stats.TotalCount === undefined ? null : stats.TotalCount + " req",
                stats.TotalCount && stats.TotalResponseTime !== undefined ? "avg " + ms(stats.TotalResponseTime / stats.TotalCount) : null].filter(Boolean).join(" · "), "muted"]];
            nodeLayer.append(node);
            lines.forEach(([text, kind], k) => {
              if (!text) return;
              const label = svg("text", { class: kind, x: p.x, y: p.y + g.ring + 18 + k * 15, "text-anchor": "middle" });
              node.append(label);
              fitText(label, text, g.label);
            });
            node.addEventListener("click", () => {
              nodes.forEach((n) => n.classList.toggle("selected", n === node));
              listFilter(serviceFilter(String(s.Name)), list);
            });
            nodes.push(node);
          }
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
