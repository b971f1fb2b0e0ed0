import Testing
import XRayQuery
import XRayReadAPI
import XRayStore

/// What a client sees when the store fails under a read operation.
@Suite struct ReadAPIFailureTests {
    /// A store failure is a 500 that names neither the store's path nor the SQL that failed.
    @Test func aStoreFailureHidesThePathAndTheSQL() {
        let failure = QueryError.store(
            .sqlite(path: "/home/someone/.local/state/xray/traces.sqlite", code: 1, message: "parser stack overflow in SELECT t.trace_id"))
        let response = ReadAPI.queryFailure(failure)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 500)
        #expect(body.contains("InternalFailure"))
        #expect(!body.contains("/home/someone"))
        #expect(!body.contains("SELECT"))
    }

    /// A filter the client got wrong stays a 400 that says what is wrong.
    @Test func aBadFilterIsA400WithTheCaret() {
        let response = ReadAPI.queryFailure(QueryError.syntax(expression: "fault AND", offset: 9, message: "expected a keyword"))
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 400)
        #expect(body.contains("InvalidRequestException") && body.contains("expected a keyword"))
    }
}
