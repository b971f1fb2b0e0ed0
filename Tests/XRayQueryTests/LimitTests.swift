import Foundation
import Testing
import XRayQuery
import XRayStore
import XRayWire

/// Filters built to exhaust the parser, the compiler or SQLite: refused with a caret, or run to the end.
@Suite struct FilterLimitTests {
    /// Each 13 KB expression that used to overflow a stack (ours or SQLite's) is a syntax error at a position.
    @Test(arguments: [
        (String(repeating: "!", count: 13_000) + "fault", FilterParser.maxNesting, "nests"),
        (String(repeating: "(", count: 16_497) + "fault" + String(repeating: ")", count: 16_497), FilterParser.maxNesting, "nests"),
        ("service() {" + String(repeating: "(", count: 60) + "fault" + String(repeating: ")", count: 60) + "}", 11 + FilterParser.maxNesting - 1, "nests"),
        (Array(repeating: "fault", count: 12_984).joined(separator: " AND "), FilterParser.maxTerms * 10, "more than 1000 terms"),
        (Array(repeating: "fault", count: 5_000).joined(separator: " OR "), FilterParser.maxTerms * 9, "more than 1000 terms"),
    ])
    func deepOrLongExpressionsAreSyntaxErrors(_ text: String, _ offset: Int, _ words: String) {
        do {
            _ = try FilterParser.parse(text)
            Issue.record("parsed")
        } catch {
            guard case .syntax(_, let at, let message) = error else { Issue.record("\(error)"); return }
            #expect(at == offset)
            #expect(message.contains(words), "\(message)")
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 3)
            #expect(lines.allSatisfy { $0.count < 200 }, "the caret line shows a window, not 13 KB")
            #expect(lines[2].hasSuffix("^"))
        }
    }

    /// The longest chains and deepest nesting the parser accepts compile to SQL that SQLite runs, and agree
    /// with the short form.
    @Test(arguments: ["OR", "AND"])
    func theLongestAcceptedChainRuns(_ op: String) throws {
        let store = try fixtureStore()
        let engine = QueryEngine(store: store)
        let long = try FilterParser.parse(Array(repeating: "fault", count: FilterParser.maxTerms).joined(separator: " \(op) "))
        let deep = try FilterParser.parse(String(repeating: "!", count: FilterParser.maxNesting) + "fault")
        #expect(try engine.traceIDs(TraceQuery(filter: long)) == (try engine.traceIDs(TraceQuery(filter: .flag(.fault)))))
        #expect(Set(try engine.traceIDs(TraceQuery(filter: deep))) == Set(try engine.traceIDs(TraceQuery(filter: .flag(.fault)))))
        let nodeChain = try FilterParser.parse("service() {" + Array(repeating: "fault", count: FilterParser.maxTerms - 1).joined(separator: " \(op) ") + "}")
        #expect(
            Set(try engine.traceIDs(TraceQuery(filter: nodeChain)))
                == Set(try engine.traceIDs(TraceQuery(filter: try FilterParser.parse("service() { fault }")))))
    }

    /// The deepest nesting the parser accepts, with a 40-term chain at every level, inside each kind of block:
    /// SQLite's parser stack (100 entries) takes all of it.
    @Test(arguments: ["%", "service() {%}", "rootcause.fault.entity {%}", "edge(\"a\", \"b\") {%}"])
    func theDeepestAcceptedNestingRunsInEveryBlock(_ wrapper: String) throws {
        let engine = QueryEngine(store: try fixtureStore())
        let inBlock = wrapper != "%"
        let chain = Array(repeating: "http.url ENDSWITH \"x\"", count: 40)
        var negated = "ok"
        for _ in 0..<(FilterParser.maxNesting / 2 - (inBlock ? 1 : 0)) { negated = "!(" + chain.joined(separator: " OR ") + " OR " + negated + ")" }
        if inBlock { negated = "!" + negated }
        var alternating = "ok"
        for i in 0..<(FilterParser.maxNesting - (inBlock ? 1 : 0)) {
            let op = i % 2 == 0 ? " OR " : " AND "
            alternating = "(" + chain.joined(separator: op) + op + alternating + ")"
        }
        for body in [negated, alternating] {
            let text = wrapper.replacingOccurrences(of: "%", with: body)
            _ = try engine.traceIDs(TraceQuery(filter: try FilterParser.parse(text)))
        }
    }
}
