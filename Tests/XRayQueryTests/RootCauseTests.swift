import Testing
import XRayStore
import XRayWire

@testable import XRayQuery

/// The root-cause fields of trace summaries agree with `rootcause.*` filters on the same traces.
@Suite struct RootCauseTests {
    @Test func faultRootCauseIsTheDeepestFaultyEntityWithItsServicePathAndException() throws {
        let store = try fixtureStore()
        let engine = QueryEngine(store: store)
        let ids = try engine.traceIDs(TraceQuery(filter: try FilterParser.parse(#"service("nightly-batch")"#)))
        let id = try #require(ids.first)
        let fields = Dictionary(uniqueKeysWithValues: try TraceDetails.fields(traceID: id, engine: engine).map { ($0.key, $0.value) })
        let causes = try #require(fields["FaultRootCauses"]?.arrayValue)
        #expect(causes.count == 1)
        let service = try #require(causes[0].objectValue?["Services"]?.arrayValue?.first?.objectValue)
        #expect(service["Name"] == .string("nightly-batch"))
        let path = try #require(service["EntityPath"]?.arrayValue).compactMap { $0.objectValue?["Name"]?.stringValue }
        #expect(path == ["nightly-batch", "load", "parse"])
        let exception = service["EntityPath"]?.arrayValue?.last?.objectValue?["Exceptions"]?.arrayValue?.first?.objectValue
        #expect(exception?["Name"] == .string("KeyError"))
        #expect(causes[0].objectValue?["ClientImpacting"] == .bool(false), "the batch segment itself did not fault")
        #expect(fields["ErrorRootCauses"] == .array([]))
        // The filter language finds the same entity.
        let byFilter = try engine.traceIDs(TraceQuery(filter: try FilterParser.parse(#"rootcause.fault.entity { name = "parse" }"#)))
        #expect(byFilter.contains(id))
    }

    @Test func responseTimeRootCauseIsTheSlowestLeafWithItsCoverage() throws {
        let store = try fixtureStore()
        let engine = QueryEngine(store: store)
        for id in try store.allTraceIDs() {
            let fields = Dictionary(uniqueKeysWithValues: try TraceDetails.fields(traceID: id, engine: engine).map { ($0.key, $0.value) })
            guard let cause = fields["ResponseTimeRootCauses"]?.arrayValue?.first else { continue }
            let path = try #require(cause.objectValue?["Services"]?.arrayValue?.first?.objectValue?["EntityPath"]?.arrayValue)
            let coverage = try #require(path.last?.objectValue?["Coverage"]?.doubleValue)
            #expect(coverage > 0 && coverage <= 1.001, "\(id)")
        }
    }
}
