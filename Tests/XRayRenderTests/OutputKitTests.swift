import Testing
import XRayRender
import XRayWire

@Suite struct TextTableTests {
    @Test func columnsAreSizedToTheWidestCellWithNumbersRightAligned() {
        let out = TextTable.render(
            header: ["NAME", "COUNT"], rows: [["checkout", "7"], ["db", "1200"]], alignments: [.left, .right])
        #expect(out == "NAME      COUNT\ncheckout      7\ndb         1200\n")
    }

    @Test func trailingSpacesAreTrimmedAndMissingAlignmentsAreLeft() {
        let out = TextTable.render(header: ["A", "B"], rows: [["long value", ""], ["x", "y"]])
        #expect(out == "A           B\nlong value\nx           y\n")
    }

    @Test func hostileCellsAreEscapedBeforeTheyAreMeasured() {
        let out = TextTable.render(header: ["NAME", "N"], rows: [["\u{1B}[2J\u{202E}evil", "1"]], alignments: [.left, .right])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(!out.contains("\u{1B}") && !out.contains("\u{202E}"))
        #expect(lines[1] == #"\x1b[2J\u{202e}evil  1"#)
        #expect(lines[0].count == lines[1].count, "the header lines up with the escaped text")
    }

    @Test func colourWrapsThePaddedCellAndTheHeaderIsBold() {
        let style = TerminalStyle(enabled: true)
        let out = TextTable.render(header: ["S", "T"], rows: [["ok", "x"]], style: style) { _, column, cell in
            column == 0 ? style.green(cell) : cell
        }
        #expect(out == "\u{1B}[1mS   T\u{1B}[0m\n\u{1B}[32mok\u{1B}[0m  x\n")
    }

    @Test func markdownCellsCannotEndTheCellOrOpenHTML() {
        let out = TextTable.markdown(header: ["endpoint", "p95"], rows: [["GET /a|b<script>\u{7}", "12.0"]])
        #expect(out == "| endpoint | p95 |\n| --- | --- |\n| GET /a\\|b&lt;script>\\x07 | 12.0 |\n")
    }
}

@Suite struct CSVTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("a,b", #""a,b""#),
        (#"say "hi""#, #""say ""hi""""#),
        ("two\nlines", #"two\x0alines"#),
        ("cr\r,", #""cr\x0d,""#),
        ("", ""),
    ])
    func fieldsAreQuotedOnlyWhenTheyMustBe(text: String, field: String) {
        #expect(CSV.field(text) == field)
    }

    @Test func controlCharactersAreEscapedSoARecordStaysOneLine() {
        #expect(CSV.field("\u{1B}]0;title\u{7}\",x") == #""\x1b]0;title\x07"",x""#)
        #expect(CSV.field("\u{202E}gnp.exe") == #"\u{202e}gnp.exe"#)
    }

    @Test func aRowJoinsQuotedFieldsAndEndsTheLine() {
        #expect(CSV.row(["1", "a,b", "c"]) == "1,\"a,b\",c\n")
    }
}

@Suite struct DurationTests {
    @Test(arguments: [
        ("2", 2.0), ("0", 0), ("2s", 2), ("1.5s", 1.5), (".5s", 0.5), ("250ms", 0.25), ("500ms", 0.5),
        ("10m", 600), ("1.5m", 90), ("1h", 3600), ("1.5h", 5400), ("7d", 604_800), ("1w", 604_800), ("90s", 90),
    ])
    func acceptedForms(text: String, seconds: Double) throws {
        #expect(try Durations.seconds(parsing: text) == seconds)
    }

    @Test(arguments: [
        "", "s", "ms", ".s", "-1s", "+1s", "1e3", "1e3s", "1 s", " 1s", "1.2.3s", "inf", "nan", "10x", "1sm",
        "1h30m", "soon", "１s", String(repeating: "9", count: 400) + "w",
    ])
    func everythingElseIsRefused(text: String) {
        #expect(throws: DurationError.invalid(text)) { try Durations.seconds(parsing: text) }
    }

    @Test func theErrorNamesTheValueAndTheForms() {
        let message = DurationError.invalid("soon\u{1B}").description
        #expect(message == #""soon\x1b" is not a duration; write 2 (seconds), 1.5s, 250ms, 10m, 1h, 7d or 1w"#)
    }

    @Test(arguments: [(0.0123, "12.3"), (0, "0.0"), (2, "2000.0"), (0.00005, "0.1"), (-0.001, "-1.0")])
    func millisecondsWithOneDecimal(seconds: Double, text: String) {
        #expect(Durations.milliseconds(seconds) == text)
    }

    @Test(arguments: [(0.012345, "12.345"), (0.012, "12.0"), (0.0125, "12.5"), (1.5e-7, "0.0"), (3, "3000.0"), (0.0000004, "0.0")])
    func preciseMillisecondsKeepMicroseconds(seconds: Double, text: String) {
        #expect(Durations.preciseMilliseconds(seconds) == text)
    }

    @Test(arguments: [(0.0123, "12.3ms"), (9.99, "9990.0ms"), (10, "10.00s"), (12.5, "12.50s")])
    func shortSwitchesToSecondsAtTen(seconds: Double, text: String) {
        #expect(Durations.short(seconds) == text)
    }
}

@Suite struct URLPathTests {
    @Test(arguments: [
        ("http://127.0.0.1:8000/books/7?x=1#top", "/books/7", "/books/7?x=1"),
        ("https://example.com", "/", "/"),
        ("HTTPS://example.com?q=1", "/", "/?q=1"),
        ("/books/9", "/books/9", "/books/9"),
        ("/login?next=http://evil/x", "/login", "/login?next=http://evil/x"),
        ("1http://h/a", "1http://h/a", "1http://h/a"),
        ("svc+ws://h/a", "/a", "/a"),
        ("", "", ""),
        ("?only=query", "", "?only=query"),
    ])
    func pathsAndTargets(url: String, path: String, target: String) {
        #expect(URLPath.path(of: url) == path)
        #expect(URLPath.target(of: url) == target)
    }

    @Test func splitKeepsTheSchemeAndHostApart() {
        let parts = URLPath.split("http://h:1/a/b?c=d&e#f")
        #expect(parts.head == "http://h:1")
        #expect(parts.path == "/a/b")
        #expect(parts.query == "c=d&e")
        #expect(URLPath.split("/a").query == nil)
    }
}

@Suite struct TrimmingTests {
    @Test(arguments: [(" \tvalue\t ", "value"), ("a b", "a b"), ("\t", ""), ("", ""), ("\nx\n", "\nx\n")])
    func spacesAndTabsAreTrimmedAtBothEnds(text: String, trimmed: String) {
        #expect(text.trimmingSpaces == trimmed)
    }
}
