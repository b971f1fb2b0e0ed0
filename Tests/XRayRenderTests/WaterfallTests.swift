import Testing
import XRayRender
import XRayWire

@Suite struct WaterfallTests {
    @Test func oneBarPerEntityScaledToTheWidthWithFaultsAndInProgressMarked() throws {
        let text =
            #"{"name":"api","id":"70de5b6f19ff9a0a","start_time":10,"end_time":12,"trace_id":"\#(traceA)","subsegments":[{"id":"1111111111111111","name":"db","start_time":10,"end_time":11,"fault":true},{"id":"2222222222222222","name":"slow","start_time":11,"in_progress":true}]}"#
        let out = Waterfall.text(try assembled(text), width: 60, style: TerminalStyle(enabled: false))
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(lines)")
        let api = try #require(lines.first { $0.hasPrefix("api") })
        let db = try #require(lines.first { $0.hasPrefix("  db") })
        let slow = try #require(lines.first { $0.hasPrefix("  slow") })
        #expect(api.contains("█") && api.hasSuffix("2000.0ms"))
        #expect(db.contains("▓"), "the fault is marked")
        #expect(slow.contains("░") && slow.contains("…") && slow.hasSuffix("in progress"))
        // The db bar covers the first half of the track, the api bar all of it.
        let apiBar = api.split(separator: "│")[1]
        let dbBar = db.split(separator: "│")[1]
        #expect(dbBar.filter { $0 == "▓" }.count * 2 <= apiBar.filter { $0 == "█" }.count + 1)
    }
}
