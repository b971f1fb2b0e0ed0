/// Text tables for people: columns sized to their widest cell, two spaces apart, every cell escaped.
///
/// The one renderer behind `inspect traces`, `stats`, `diff`, `rules simulate` and the other listings. A cell
/// holds whatever an application sent, so every cell and header goes through `TerminalText.escape` before it
/// is measured; colour is added afterwards by `decorate`, on the padded text, so escapes never count as width.
package enum TextTable {
    package enum Alignment: Sendable, Hashable {
        case left, right
    }

    /// - Parameters:
    ///   - alignments: one per column; columns past its end are left-aligned. Numbers read best right-aligned.
    ///   - style: the header is bold when colour is on.
    ///   - decorate: given the row's escaped cells, the column and the padded cell, returns what to print.
    package static func render(
        header: [String], rows: [[String]], alignments: [Alignment] = [],
        style: TerminalStyle = TerminalStyle(enabled: false),
        decorate: ([String], Int, String) -> String = { _, _, cell in cell }
    ) -> String {
        let header = header.map(TerminalText.escape)
        let rows = rows.map { $0.map(TerminalText.escape) }
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() {
                if column < widths.count { widths[column] = max(widths[column], cell.count) } else { widths.append(cell.count) }
            }
        }
        func alignment(_ column: Int) -> Alignment { column < alignments.count ? alignments[column] : .left }
        func line(_ cells: [String], _ render: (Int, String) -> String) -> String {
            cells.enumerated().map { column, cell in render(column, pad(cell, to: widths[column], alignment(column))) }
                .joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        var out = style.bold(String(line(header) { _, cell in cell }.dropLast())) + "\n"
        for row in rows { out += line(row) { column, cell in decorate(row, column, cell) } }
        return out
    }

    /// A GitHub-flavoured markdown table, for a pull-request comment; cells escaped by `markdownCell`.
    package static func markdown(header: [String], rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String { "| " + cells.map(markdownCell).joined(separator: " | ") + " |\n" }
        return line(header) + "|" + String(repeating: " --- |", count: header.count) + "\n" + rows.map(line).joined()
    }

    /// Text safe inside a markdown table cell: escaped for the terminal, and unable to end the cell (`|`) or
    /// open HTML (`<`) in the comment it is pasted into (GitHub Flavored Markdown spec, "Tables (extension)").
    package static func markdownCell(_ text: String) -> String {
        TerminalText.escape(text).replacing("|", with: "\\|").replacing("<", with: "&lt;")
    }

    /// `text` padded with spaces to `width` characters, on the right (`.left`) or on the left (`.right`).
    package static func pad(_ text: String, to width: Int, _ alignment: Alignment = .left) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return alignment == .left ? text + fill : fill + text
    }
}
