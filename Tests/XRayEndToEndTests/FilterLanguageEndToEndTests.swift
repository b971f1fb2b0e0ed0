import Foundation
import Testing

/// The filter language as the X-Ray developer guide writes it, through the built binary.
@Suite struct FilterLanguageEndToEndTests {
    /// The guide's own example, `http.url AND responseTime > 2`, and bare boolean annotations meaning their value.
    @Test func bareKeywordsMeanSetAndBareBooleanAnnotationsTheirValue() throws {
        let f = try HostileInputEndToEndTests.Fixture()
        func doc(_ n: Int, _ extra: String) -> String {
            #"{"trace_id":"1-65540000-00000000000000000000000\#(n)","id":"000000000000000\#(n)","name":"svc","start_time":1700000000,"end_time":\#(extra)}"#
        }
        try f.importDocuments([
            doc(1, #"1700000003,"http":{"request":{"url":"https://h/slow"}},"annotations":{"vip":true,"greeted":"yes"}"#),
            doc(2, #"1700000001,"http":{"request":{"url":"https://h/fast"}},"annotations":{"vip":false,"greeted":"yes"}"#),
            doc(3, #"1700000003,"annotations":{"greeted":"no"}"#),
        ])
        func ids(_ filter: String) throws -> [String] {
            let r = try f.xray(["inspect", "traces", "--format", "csv", "--filter", filter])
            #expect(r.status == 0, "\(filter): \(r.stderr)")
            return r.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: ",").first.map { String($0.suffix(1)) } }.sorted()
        }
        #expect(try ids("http.url AND responseTime > 2") == ["1"])
        #expect(try ids("!http.url") == ["3"])
        #expect(try ids("annotation.vip") == ["1"])
        #expect(try ids("!annotation.vip AND annotation.greeted") == ["2", "3"])
        #expect(try ids("service(\"svc\") { http.url }") == ["1", "2"])
    }
}
