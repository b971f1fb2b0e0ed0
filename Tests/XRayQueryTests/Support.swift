import Foundation
import Testing
import XRayQuery
import XRayStore
import XRayTestSupport
import XRayWire

let sdkFixtures = fixturesDirectory.appendingPathComponent("sdk")

/// Hand-written documents with the shapes the SDK captures lack: service calls, inferred nodes, fault chains,
/// every annotation type, EC2 metadata, throttles, streamed in-progress subsegments and a missing parent.
let syntheticDocuments: [String] = {
    let b = 1_700_000_000.0
    func t(_ s: Double) -> String { String(b + s) }
    let t1 = "1-65540000-000000000000000000000001", t2 = "1-65540000-000000000000000000000002"
    let t3 = "1-65540000-000000000000000000000003", t4 = "1-65540000-000000000000000000000004"
    let t5 = "1-65540000-000000000000000000000005"
    return [
        // T1: front -> orders (instrumented) -> DynamoDB (inferred); all fine.
        """
        {"trace_id":"\(t1)","id":"a000000000000001","name":"front","origin":"AWS::EC2::Instance","start_time":\(t(0)),"end_time":\(t(0.5)),\
        "user":"alice","http":{"request":{"method":"GET","url":"https://shop.example.com/api/orders?id=7","user_agent":"curl/8.0","client_ip":"10.0.0.1"},"response":{"status":200}},\
        "aws":{"account_id":"123456789012","ec2":{"availability_zone":"us-east-1a","instance_id":"i-0abc"}},\
        "annotations":{"user":"u123","tier":2,"vip":true},\
        "subsegments":[{"id":"a000000000000002","name":"orders","namespace":"remote","start_time":\(t(0.1)),"end_time":\(t(0.45)),\
        "http":{"request":{"method":"GET","url":"http://orders/items"},"response":{"status":200}}}]}
        """,
        """
        {"trace_id":"\(t1)","id":"a000000000000003","parent_id":"a000000000000002","name":"orders","start_time":\(t(0.12)),"end_time":\(t(0.42)),\
        "resource_arn":"arn:aws:ecs:us-east-1:123456789012:service/orders","http":{"request":{"method":"GET","url":"http://orders/items"},"response":{"status":200}},\
        "subsegments":[{"id":"a000000000000004","name":"DynamoDB","namespace":"aws","start_time":\(t(0.2)),"end_time":\(t(0.4)),"annotations":{"table":"items"}}]}
        """,
        // T2: a fault chain front -> orders -> db (the root cause, with an exception message).
        """
        {"trace_id":"\(t2)","id":"b000000000000001","name":"front","start_time":\(t(10)),"end_time":\(t(12.5)),"fault":true,\
        "http":{"request":{"method":"POST","url":"https://shop.example.com/api/pay","user_agent":"Mozilla/5.0"},"response":{"status":500}},\
        "annotations":{"user":"u123","tier":7},\
        "subsegments":[{"id":"b000000000000002","name":"orders","namespace":"remote","start_time":\(t(10.1)),"end_time":\(t(12.4)),"fault":true,\
        "http":{"request":{"method":"POST","url":"http://orders/pay"},"response":{"status":500}}}]}
        """,
        """
        {"trace_id":"\(t2)","id":"b000000000000003","parent_id":"b000000000000002","name":"orders","start_time":\(t(10.2)),"end_time":\(t(12.3)),"fault":true,\
        "http":{"response":{"status":500}},\
        "subsegments":[{"id":"b000000000000004","name":"db","start_time":\(t(10.3)),"end_time":\(t(12.2)),"fault":true,\
        "cause":{"working_directory":"/app","exceptions":[{"id":"e000000000000001","type":"ConnectionError","message":"connection refused"}]}}]}
        """,
        // T3: throttled and partial (a streamed subsegment still in progress), another user.
        """
        {"trace_id":"\(t3)","id":"c000000000000001","name":"front","start_time":\(t(20)),"end_time":\(t(20.05)),"error":true,"throttle":true,\
        "user":"bob","http":{"request":{"method":"GET","url":"https://shop.example.com/health"},"response":{"status":429}},\
        "annotations":{"user":"u999","tier":5,"vip":false}}
        """,
        """
        {"trace_id":"\(t3)","id":"c000000000000002","parent_id":"c000000000000001","type":"subsegment","name":"cache","namespace":"remote",\
        "start_time":\(t(20.01)),"in_progress":true}
        """,
        // T4: a downstream segment whose caller is not stored.
        """
        {"trace_id":"\(t4)","id":"d000000000000001","parent_id":"ffffffffffffffff","name":"orders","origin":"AWS::ECS::Container",\
        "start_time":\(t(30)),"end_time":\(t(31.2)),"http":{"request":{"method":"GET","url":"http://orders/items"},"response":{"status":200}},\
        "annotations":{"vip":false}}
        """,
        // T5: front calls payments (inferred, error) and a streamed remote subsegment with a faulting child.
        """
        {"trace_id":"\(t5)","id":"e000000000000001","name":"front","start_time":\(t(40)),"end_time":\(t(43.2)),"error":true,\
        "http":{"request":{"method":"GET","url":"https://shop.example.com/api/items"},"response":{"status":404}},\
        "subsegments":[{"id":"e000000000000002","name":"payments","namespace":"remote","start_time":\(t(40.1)),"end_time":\(t(43.0)),"error":true,\
        "http":{"request":{"method":"GET","url":"https://payments.example.com/v2/charge"},"response":{"status":404}}}]}
        """,
        """
        {"trace_id":"\(t5)","id":"e000000000000003","parent_id":"e000000000000001","type":"subsegment","name":"cache","namespace":"remote",\
        "start_time":\(t(40.05)),"end_time":\(t(40.09)),"fault":true,\
        "subsegments":[{"id":"e000000000000004","name":"redis.get","start_time":\(t(40.06)),"end_time":\(t(40.08)),"fault":true,\
        "cause":{"exceptions":[{"id":"e000000000000005","type":"TimeoutError","message":"redis timed out"}]}}]}
        """,
    ]
}()

/// A store with every SDK fixture and the synthetic documents imported.
func fixtureStore() throws -> TraceStore {
    let store = try TraceStore(path: temporaryStorePath())
    for name in ["flask", "django", "aiohttp", "batch"] {
        let report = try TraceImporter(store: store, now: { 1 }).importFile(sdkFixtures.appendingPathComponent("\(name).jsonl").path, format: .auto)
        #expect(report.problems.isEmpty, "\(report.problems)")
    }
    let folder = try makeTemporaryDirectory("xray-query")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("synthetic.jsonl").path
    try syntheticDocuments.map { $0.replacingOccurrences(of: "\n", with: "") + "\n" }.joined()
        .write(toFile: file, atomically: true, encoding: .utf8)
    let report = try TraceImporter(store: store, now: { 2 }).importFile(file, format: .jsonl)
    #expect(report.problems.isEmpty, "\(report.problems)")
    return store
}
