import Testing
import XRayWire

@Suite struct WordingTests {
    @Test func countsUseTheSingularForOneAndTheGivenPlural() {
        #expect(Wording.count(1, "trace") == "1 trace")
        #expect(Wording.count(0, "trace") == "0 traces")
        #expect(Wording.count(2, "entity", "entities") == "2 entities")
        #expect(Wording.count(1, "entity", "entities") == "1 entity")
    }

    @Test(arguments: [
        ("faultt", "fault"), ("fualt", "fault"), ("trace", "traces"), ("inspcet", "inspect"), ("respnsetime", "responsetime"),
    ])
    func aTypoSuggestsTheNameMeant(_ typed: String, _ meant: String) {
        #expect(Wording.closest(to: typed, among: ["fault", "error", "traces", "inspect", "responsetime", "run"]) == meant)
    }

    @Test func farOrShortWordsSuggestNothing() {
        let names = ["fault", "error", "ok", "traces"]
        #expect(Wording.closest(to: "frobnicate", among: names) == nil)
        #expect(Wording.closest(to: "OR", among: names) == nil, "two letters are a typo of too many words")
        #expect(Wording.closest(to: "fault", among: names) == nil, "an exact name is not a typo")
    }
}
