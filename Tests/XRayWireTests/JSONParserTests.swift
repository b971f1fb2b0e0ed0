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
        ("{", 1), (#"{"a" 1}"#, 5), ("[1,]", 3), ("01", 1), ("\"abc", 0), ("tru", 0), (#"{"a":1}x"#, 7), ("\"\\ud800\"", 1),
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
}
