import Testing

@testable import XRayWire

/// Bad input never crashes the parser: every mutation of real SDK documents either parses or is rejected
/// with a reason, and a rejection names a field or a byte position inside the input.
@Suite struct MutationTests {
    static let seeds = [
        segment(
            #","http":{"request":{"method":"GET","url":"http://x/y"},"response":{"status":200,"content_length":"12"}},"annotations":{"a":1,"b":"c"},"subsegments":[{"id":"1111111111111111","name":"s","start_time":1.478293361271E9,"end_time":1.478293361300E9,"cause":{"exceptions":[{"id":"6c7a584293c86531","type":"E"}]}}]"#
        ),
        #"{"name":"x","id":"70de5b6f19ff9a0b","start_time":1.5,"trace_id":"1-581cf771-a006649127e371903a2de979","in_progress":true,"metadata":{"d":{"v":NaN}}}"#,
    ]

    /// A deterministic generator, so a failure names its seed and replays.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: 0..<4)
    func mutatedDocumentsParseOrAreRejectedWithAReason(_ round: Int) {
        var rng = SplitMix(state: UInt64(round) &* 7919 &+ 1)
        let interesting: [UInt8] = Array("{}[]\",:0123456789eE+-.tfnNI\\u \u{7F}".utf8) + [0x00, 0x0A, 0xC3, 0xFF, 0xED, 0xA0]
        for _ in 0..<2_500 {
            var bytes = Array(Self.seeds[Int.random(in: 0..<Self.seeds.count, using: &rng)].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[at] = interesting.randomElement(using: &rng) ?? 0
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(interesting.randomElement(using: &rng) ?? 0, at: at)
                default: bytes = Array(bytes[..<at])
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            do {
                let doc = try SegmentDocumentParser.parse(bytes: bytes)
                #expect(!doc.entities.isEmpty)
            } catch {
                #expect(
                    error.field != nil || error.message.contains("byte ") || error.message.hasPrefix("expected a JSON object"),
                    "\(error) for \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
