import Testing
import XRaySampling
import XRayWire

@Suite struct WildcardTests {
    /// The SDKs' own wildcard test cases (PY tests/test_wildcard_match.py).
    @Test(arguments: [
        ("fo?", "foo", true), ("f?o", "boo", false), ("foo*", "foo", true), ("*o?", "foo", true),
        ("*/foo", "/bar/foo", true), ("????", "chevy", false), ("", "", true), ("a*a", "aa", true),
        ("a*a", "aba", true), ("a*na*ha", "anananahahanahana", false), ("*???", "aa", false), ("?*?", "a", false),
        ("*?*a", "a", false), ("*?*a*", "ba", true), ("Fo*", "FOo0", true), ("*", "", true), ("", "a", false),
    ])
    func sdkCases(pattern: String, text: String, expected: Bool) {
        #expect(WildcardPattern(pattern).matches(text) == expected)
    }

    /// A literal `*` in the text consumes the pattern's `*` before it can act as a wildcard, as in Python.
    @Test func literalStarInTextUsesUpThePatternStar() {
        #expect(!WildcardPattern("*b").matches("*xb"))
        #expect(WildcardPattern("*b").matches("xb"))
        #expect(WildcardPattern("*b").matches("*b"))
    }

    /// Case folding is Python's `lower()` per code point: the Kelvin sign folds to `k`; `?` is one scalar.
    @Test func unicodeFoldingAndQuestionMarkPerScalar() {
        #expect(WildcardPattern("k?lvin").matches("\u{212A}elvin"))
        #expect(WildcardPattern("caf?").matches("caf\u{E9}"))
        #expect(!WildcardPattern("caf?").matches("cafe\u{301}"))
        #expect(WildcardPattern("caf??").matches("cafe\u{301}"))
    }

    /// Every pairing in expected/wildcard.jsonl, written by the SDK's own wildcard_match.
    @Test func agreesWithThePythonSDKOnEveryOracleCase() throws {
        let cases = try expectedLines("wildcard.jsonl")
        #expect(cases.count > 1000)
        for case .object(let c) in cases {
            let pattern = try #require(c["pattern"]?.stringValue)
            let text = try #require(c["text"]?.stringValue)
            let expected: Bool = try #require(c["match"]?.boolValue as Bool?)
            #expect(WildcardPattern(pattern).matches(text) == expected, "pattern \(pattern) text \(text)")
        }
    }

    /// DYNAMIC_NAMING keeps a matching host and uses the fallback otherwise, also without a host.
    @Test func dynamicNamingUsesTheFallbackWhenTheHostDoesNotMatch() {
        let naming = DynamicNaming(pattern: "*.example.com", fallback: "web")
        #expect(naming.segmentName(host: "api.EXAMPLE.com") == "api.EXAMPLE.com")
        #expect(naming.segmentName(host: "localhost") == "web")
        #expect(naming.segmentName(host: nil) == "web")
    }
}
