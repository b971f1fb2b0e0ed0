/// CSV output (RFC 4180): the one field quoter of every `--format csv`.
package enum CSV {
    /// A field escaped with `TerminalText.escape` (so no control character reaches a terminal through `cat`,
    /// and a line break is `\x0a`, keeping one record per line), then quoted when it holds a comma or a quote,
    /// with quotes doubled (RFC 4180, section 2).
    package static func field(_ text: String) -> String {
        let safe = TerminalText.escape(text)
        guard safe.contains(where: { $0 == "," || $0 == "\"" }) else { return safe }
        return "\"" + safe.replacing("\"", with: "\"\"") + "\""
    }

    /// One record: the fields quoted, comma-separated, ending in a line feed.
    package static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }
}
