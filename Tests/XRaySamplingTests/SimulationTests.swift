import Testing
import XRaySampling
import XRayWire

@Suite struct SimulationTests {
    struct Case: Sendable, CustomStringConvertible {
        var rules: String
        var requests: String
        var clients: Int
        var seed: UInt64
        var generated: SimulationOptions.GeneratedStream?
        var description: String { "\(rules) \(requests) c\(clients) s\(seed)" }

        var expectedName: String {
            var name = "simulate-\(rules)-\(requests)-c\(clients)-s\(seed)"
            if let generated { name += "-rate\(Int(generated.rate))-for\(Int(generated.duration))" }
            return name + ".json"
        }
    }

    static let cases = [
        Case(rules: "local-v2", requests: "sim-requests", clients: 1, seed: 1),
        Case(rules: "local-v2", requests: "sim-requests", clients: 3, seed: 42),
        Case(rules: "local-v1", requests: "sim-requests", clients: 1, seed: 7),
        Case(rules: "centralized", requests: "sim-requests", clients: 1, seed: 1),
        Case(rules: "centralized", requests: "sim-requests", clients: 4, seed: 9),
        Case(rules: "centralized-early-default", requests: "sim-requests", clients: 2, seed: 3),
        Case(rules: "centralized-no-default", requests: "sim-requests", clients: 1, seed: 5),
        Case(rules: "local-v2", requests: "requests", clients: 2, seed: 11, generated: .init(rate: 200, duration: 60)),
        Case(rules: "centralized", requests: "requests", clients: 3, seed: 13, generated: .init(rate: 50, duration: 30)),
    ]

    /// Counts per rule equal the Python SDK's (expected/simulate-*.json), fractional rates included, because the
    /// same seeded Mersenne Twister drives both.
    @Test(arguments: cases)
    func agreesWithThePythonSDK(_ c: Case) throws {
        let requests = try RequestReader.readAll(fixtureBytes(c.requests + ".jsonl"), file: c.requests)
        let result = try Simulator.run(
            document: loadFixture(c.rules + ".json"), requests: requests, file: c.requests,
            options: SimulationOptions(clients: c.clients, seed: c.seed, generated: c.generated))
        let expected = try JSONParser.parse(fixtureBytes("expected/" + c.expectedName)).value
        #expect(agrees(result.jsonValue, with: expected), "\(JSONWriter.prettyString(result.jsonValue))")
    }

    /// With rates of 0 and 1 the counts follow from the reservoir alone, per integer second, also when t goes back.
    @Test func exactCountsForRateZeroAndOne() throws {
        let document = try loadDocument(
            #"""
            {"version":2,"rules":[{"host":"*","http_method":"*","url_path":"/one","fixed_target":2,"rate":1}],
             "default":{"fixed_target":2,"rate":0}}
            """#)
        let times = [10.0, 10.1, 10.2, 10.9, 11.0, 11.5, 10.5, 10.6, 10.7]
        let requests =
            times.map { TimedRequest(request: SamplingRequest(path: "/zero"), time: $0) }
            + [TimedRequest(request: SamplingRequest(path: "/one"), time: 12)]
        let result = try Simulator.run(document: document, requests: requests, file: "r", options: .init(seed: 99))
        // Seconds 10 (4 requests), 11 (2), then back to 10 (3): the counter restarts each time the second changes.
        #expect(result.localDefault?.sampledByReservoir == 2 + 2 + 2)
        #expect(result.localDefault?.notSampled == 3)
        #expect(result.rules[0].sampled == 1)
    }
}
