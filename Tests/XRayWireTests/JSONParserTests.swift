import Testing

@testable import XRayWire

@Suite struct JSONParserTests {
    @Test func numbersKeepTheirSourceText() throws {
        let v = try JSONParser.parse(#"[1.478293361271E9, -0.0, 12, 1e-7]"#).value
        #expect(JSONWriter.string(v) == "[1.478293361271E9,-0.0,12,1e-7]")
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        let v = try JSONParser.parse(#""a\"b\\c\n\u00e9\ud83d\ude00""#).value
        #expect(v == .string("a\"b\\c\né😀"))
        #expect(JSONWriter.string(v) == "\"a\\\"b\\\\c\\né😀\"")
    }

    static let invalid: [(String, Int)] = [
        ("{", 1), (#"{"a" 1}"#, 5), ("[1,]", 2), ("{\"a\":1,\n}", 6), ("01", 1), ("\"abc", 0), ("tru", 0), (#"{"a":1}x"#, 7), ("\"\\ud800\"", 1),
    ]

    @Test(arguments: invalid)
    func syntaxErrorsGiveTheBytePosition(_ text: String, _ offset: Int) {
        #expect {
            try JSONParser.parse(text)
        } throws: { ($0 as? JSONSyntaxError)?.position.offset == offset }
    }

    @Test func positionsCarryLineAndColumn() throws {
        let r = try JSONParser.parse("{\n  \"rules\": [\n    {\"rate\": 2}\n  ]\n}", options: .init(recordPositions: true))
        #expect(r.positions["rules[0].rate"] == JSONPosition(offset: 28, line: 3, column: 14))
    }

    @Test func nonFiniteNumbersAreRefusedWhenStrict() {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse("NaN", options: .init(allowNonFinite: false)) }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
    }

    /// The last of two equal keys wins, at the first one's place, as in Python's json.load; each repeat is
    /// reported with its byte offset (and line when positions are recorded).
    @Test func duplicateKeysKeepTheLastValueAndAreReported() throws {
        let text = #"{"version":2,"a":{"x":1,"x":2},"version":1}"#
        let r = try JSONParser.parse(text)
        #expect(JSONWriter.string(r.value) == #"{"version":1,"a":{"x":2}}"#)
        #expect(r.duplicateKeys.map(\.key) == ["x", "version"])
        #expect(r.duplicateKeys.map(\.offset) == [24, 31])
        #expect(r.duplicateKeys.first?.position == nil)
        let positioned = try JSONParser.parse("{\n \"rules\": [{\"rate\": 1,\n  \"rate\": 2}]}", options: .init(recordPositions: true))
        #expect(
            positioned.duplicateKeys == [
                JSONDuplicateKey(
                    key: "rate", path: "rules[0].rate", offset: 27,
                    position: JSONPosition(offset: 27, line: 3, column: 3))
            ])
        #expect(try JSONParser.parse(#"{"a":1,"b":2}"#).duplicateKeys.isEmpty)
    }

    /// Objects past the scan threshold find repeats through their index, and many distinct keys stay distinct.
    @Test func duplicatesInLargeObjectsAreFound() throws {
        let keys = (0..<5_000).map { #""k\#($0)":\#($0)"# }
        let r = try JSONParser.parse("{" + keys.joined(separator: ",") + #","k3":"late","k4999":"last"}"#)
        #expect(r.value.objectValue?.count == 5_000)
        #expect(r.value.objectValue?["k3"] == .string("late"))
        #expect(r.value.objectValue?["k4999"] == .string("last"))
        #expect(r.duplicateKeys.map(\.key) == ["k3", "k4999"])
    }
}
