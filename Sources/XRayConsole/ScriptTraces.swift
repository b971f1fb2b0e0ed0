extension ConsoleAssets {
    /// The traces page: filter box, presets, groups and runs pickers, the live table and the response-time histogram.
    static let scriptTraces = #"""
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

        """#
}
