import XRayWire

/// Timelines of one trace: a terminal waterfall and a self-contained HTML page.
public enum Waterfall {
    /// Levels of indentation in a label; deeper labels say their depth instead (see `TraceViews.maxIndent`).
    static let maxIndent = 8

    static func indent(_ depth: Int) -> String {
        guard depth > maxIndent else { return String(repeating: "  ", count: depth) }
        return String(repeating: "  ", count: maxIndent) + "[\(depth)] "
    }

    /// Where time `t` falls in the trace, from 0 to 1: absurd times (infinite, NaN, years away) land on an
    /// edge instead of overflowing the conversion to a column.
    static func fraction(_ t: Double, start: Double, span: Double) -> Double {
        let f = (t - start) / span
        if f.isNaN { return 0 }
        return min(max(f, 0), 1)
    }

    /// The trace's span for scaling: at least a microsecond, and finite.
    static func span(_ trace: TraceTree) -> Double {
        let span = trace.endTime - trace.startTime
        return span.isFinite ? max(span, 1e-6) : .greatestFiniteMagnitude
    }

    /// One bar per entity, scaled to `width` columns: `█` finished, `▓` with a fault or error (coloured),
    /// `░…` still in progress (drawn to the end of the trace).
    public static func text(_ trace: TraceTree, width: Int, style: TerminalStyle) -> String {
        let width = min(width, 1000)
        let rows = trace.entries
        let start = trace.startTime
        let span = span(trace)
        let labels = rows.map { indent($0.depth) + TerminalText.escape($0.entity.name) }
        let labelWidth = min(40, labels.map(\.count).max() ?? 0)
        let durations = rows.map { $0.entity.duration.map { Durations.milliseconds($0) + "ms" } ?? "in progress" }
        let durationWidth = durations.map(\.count).max() ?? 0
        let barWidth = max(10, width - labelWidth - durationWidth - 5)
        var out = style.bold(trace.traceID) + "  " + style.dim(Wording.count(rows.count, "entity", "entities") + ", \(Durations.milliseconds(span)) ms") + "\n"
        for (i, row) in rows.enumerated() {
            let e = row.entity
            let label = TextTable.pad(labels[i].count > labelWidth ? String(labels[i].prefix(labelWidth - 1)) + "…" : labels[i], to: labelWidth)
            let from = min(barWidth - 1, Int((fraction(e.startTime, start: start, span: span) * Double(barWidth)).rounded(.down)))
            let endTime = e.endTime ?? trace.endTime
            var to = Int((fraction(endTime, start: start, span: span) * Double(barWidth)).rounded(.up))
            to = min(barWidth, max(to, from + 1))
            let glyph: Character = e.inProgress ? "░" : (e.fault || e.error || e.throttle ? "▓" : "█")
            var bar = String(repeating: " ", count: from) + String(repeating: glyph, count: to - from)
            if e.inProgress { bar += "…" }
            bar += String(repeating: " ", count: max(0, barWidth + 1 - bar.count))
            let coloured: String
            if e.fault {
                coloured = style.red(bar)
            } else if e.error || e.throttle {
                coloured = style.yellow(bar)
            } else if e.inProgress {
                coloured = style.cyan(bar)
            } else {
                coloured = style.green(bar)
            }
            out += label + " │" + coloured + "│ " + durations[i] + "\n"
        }
        return out
    }

    /// A single HTML page with no external assets: the waterfall, each entity's fields on click, and the raw
    /// documents. Everything from the documents is escaped; the data travels as JSON inside a script tag.
    public static func html(_ trace: TraceTree, documents: [String]) -> String {
        let rows = trace.entries
        let start = trace.startTime
        let span = span(trace)
        var entities: [JSONValue] = []
        for row in rows {
            let e = row.entity
            let left = fraction(e.startTime, start: start, span: span) * 100
            let right = fraction(e.endTime ?? trace.endTime, start: start, span: span) * 100
            var state = "ok"
            if e.fault { state = "fault" } else if e.error || e.throttle { state = "error" } else if e.inProgress { state = "progress" }
            entities.append(
                .object(
                    JSONObject([
                        ("name", .string(e.name)),
                        ("id", .string(e.id)),
                        ("kind", .string(e.kind.name)),
                        ("depth", .number(JSONNumber(row.depth))),
                        ("left", .number(JSONNumber(TraceViews.roundMicro(left)))),
                        ("width", .number(JSONNumber(TraceViews.roundMicro(max(right - left, 0.2))))),
                        ("duration", .string(e.duration.map { Durations.milliseconds($0) + " ms" } ?? "in progress")),
                        ("state", .string(state)),
                        ("fields", .object(row.fields)),
                    ])))
        }
        let data = JSONWriter.string(
            .object(
                JSONObject([
                    ("trace", .string(trace.traceID)),
                    ("duration", .string(Durations.milliseconds(span) + " ms")),
                    ("entities", .array(entities)),
                    ("documents", .array(documents.map { .string($0) })),
                ])))
        let safe = scriptSafe(data)
        return htmlTemplate.replacingAll("@TITLE@", with: escapeHTML(trace.traceID)).replacingAll("@DATA@", with: safe)
    }

    /// JSON text made inert inside a `<script>` element: `<`, `>` and `&` become `\u003c`, `\u003e` and
    /// `\u0026`. Those characters only occur inside JSON strings, where the escapes mean the same; left raw,
    /// `</script` ends the element early and `<!--` followed by `<script` makes the HTML parser swallow the rest
    /// of the page (WHATWG HTML, "script data double escaped state").
    static func scriptSafe(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func escapeHTML(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let htmlTemplate = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>xray trace @TITLE@</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
        header{padding:12px 16px;background:#232f3e;color:#fff}header h1{font-size:16px;margin:0}
        header p{margin:4px 0 0;color:#ccc}
        main{display:flex;gap:12px;padding:12px 16px}
        #waterfall{flex:3;min-width:0}#details{flex:2;min-width:0}
        .row{display:flex;align-items:center;height:24px;cursor:pointer;border-bottom:1px solid #eee}
        .row:hover,.row.selected{background:#e8f0fe}
        .label{width:34%;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
        .track{position:relative;flex:1;height:14px}
        .bar{position:absolute;top:0;height:14px;border-radius:2px;background:#2e7d32}
        .bar.fault{background:#c62828}.bar.error{background:#f9a825}
        .bar.progress{background:repeating-linear-gradient(45deg,#0277bd,#0277bd 4px,#81d4fa 4px,#81d4fa 8px)}
        .dur{width:90px;text-align:right;color:#555;font-variant-numeric:tabular-nums}
        pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
        h2{font-size:14px}
        </style></head><body>
        <header><h1 id="title"></h1><p id="summary"></p></header>
        <main><section id="waterfall" aria-label="waterfall"></section>
        <section id="details"><h2>Entity</h2><pre id="entity">Click a bar to see its fields.</pre>
        <h2>Raw documents</h2><div id="documents"></div></section></main>
        <script type="application/json" id="trace-data">@DATA@</script>
        <script>
        (function () {
          var data = JSON.parse(document.getElementById("trace-data").textContent);
          document.getElementById("title").textContent = data.trace;
          document.getElementById("summary").textContent = data.entities.length + " entities, " + data.duration;
          var list = document.getElementById("waterfall");
          data.entities.forEach(function (e, i) {
            var row = document.createElement("div");
            row.className = "row";
            row.dataset.id = e.id;
            var label = document.createElement("div");
            label.className = "label";
            label.style.paddingLeft = (Math.min(e.depth, 40) * 14) + "px";
            label.textContent = e.name;
            label.title = e.kind + " " + e.id;
            var track = document.createElement("div");
            track.className = "track";
            var bar = document.createElement("div");
            bar.className = "bar " + e.state;
            bar.style.left = e.left + "%";
            bar.style.width = e.width + "%";
            track.appendChild(bar);
            var dur = document.createElement("div");
            dur.className = "dur";
            dur.textContent = e.duration;
            row.appendChild(label); row.appendChild(track); row.appendChild(dur);
            row.addEventListener("click", function () {
              Array.prototype.forEach.call(document.querySelectorAll(".row.selected"), function (r) { r.classList.remove("selected"); });
              row.classList.add("selected");
              document.getElementById("entity").textContent = JSON.stringify(e.fields, null, 2);
            });
            list.appendChild(row);
          });
          var docs = document.getElementById("documents");
          data.documents.forEach(function (d) {
            var pre = document.createElement("pre");
            pre.textContent = d;
            docs.appendChild(pre);
          });
        })();
        </script></body></html>

        """
}

extension String {
    /// Replaces every occurrence of `target` (stdlib only, no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
