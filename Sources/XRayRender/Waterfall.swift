import XRayWire

/// The timeline of one trace in the terminal (the HTML page is the console's trace view, `XRayConsole.TraceFile`).
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
}
