import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// The AWS CLI (`pip install awscli`, in the test virtualenv) against `xray daemon --endpoint-url`.
@Suite(.serialized) struct AWSCLIAgainstDaemonTests {
    static var awsCLI: String? {
        guard let python = testPython else { return nil }
        let aws = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("aws").path
        return FileManager.default.isExecutableFile(atPath: aws) ? aws : nil
    }

    func aws(_ arguments: [String], endpoint: String) throws -> [String: Any] {
        let cli = try #require(Self.awsCLI)
        let result = try XRayBinary.run(
            ["xray"] + arguments + ["--endpoint-url", "http://\(endpoint)", "--region", "us-east-1", "--no-sign-request", "--output", "json"],
            environment: ["AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"],
            executable: URL(fileURLWithPath: cli))
        try #require(result.status == 0, "aws \(arguments.joined(separator: " ")): \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
    }

    @Test(.enabled(if: awsCLI != nil))
    func getSamplingRulesPutTraceSegmentsAndBatchGetTracesWork() throws {
        let folder = try makeTemporaryDirectory("awscli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }

        let rules = try aws(["get-sampling-rules"], endpoint: daemon.address)
        let records = try #require(rules["SamplingRuleRecords"] as? [[String: Any]])
        let rule = try #require(records.first?["SamplingRule"] as? [String: Any])
        #expect(rule["RuleName"] as? String == "Default")
        #expect(rule["FixedRate"] as? Double == 1.0)

        let trace = "1-6b07c025-aebda8959f8013cb96cd0198"
        let good = #"{"name":"cli","id":"70de5b6f19ff9a0a","trace_id":"\#(trace)","start_time":1795560642.5,"end_time":1795560642.75}"#
        let bad = #"{"name":"cli","id":"70de5b6f19ff9a0b","trace_id":"nope","start_time":1,"end_time":2}"#
        let put = try aws(["put-trace-segments", "--trace-segment-documents", good, bad], endpoint: daemon.address)
        let unprocessed = try #require(put["UnprocessedTraceSegments"] as? [[String: Any]])
        #expect(unprocessed.count == 1)
        #expect(unprocessed.first?["Id"] as? String == "70de5b6f19ff9a0b")

        let got = try aws(["batch-get-traces", "--trace-ids", trace], endpoint: daemon.address)
        let traces = try #require(got["Traces"] as? [[String: Any]])
        #expect(traces.count == 1)
        #expect(traces.first?["Id"] as? String == trace)
        let document = try #require((traces.first?["Segments"] as? [[String: Any]])?.first?["Document"] as? String)
        #expect(document.contains("\"name\":\"cli\""))
        #expect(daemon.stop(signal: SIGTERM).status == 0)
    }

    /// GetTraceSummaries with a filter expression and paging, and GetServiceGraph, over the captured Flask
    /// fixture imported into the daemon's store.
    @Test(.enabled(if: awsCLI != nil))
    func getTraceSummariesAndGetServiceGraphReadTheLocalStore() throws {
        let folder = try makeTemporaryDirectory("awscli-read")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let imported = try XRayBinary.run(["inspect", "import", "--store", store, fixturesDirectory.appendingPathComponent("sdk/flask.jsonl").path])
        #expect(imported.status == 0)
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        let window = ["--start-time", "1000000000", "--end-time", "4000000000"]

        let all = try aws(["get-trace-summaries"] + window, endpoint: daemon.address)
        #expect((all["TraceSummaries"] as? [[String: Any]])?.count == 4)
        let faults = try aws(["get-trace-summaries", "--filter-expression", "fault"] + window, endpoint: daemon.address)
        let summaries = try #require(faults["TraceSummaries"] as? [[String: Any]])
        #expect(summaries.count == 1)
        #expect(summaries.first?["HasFault"] as? Bool == true)
        #expect((summaries.first?["Http"] as? [String: Any])?["HttpStatus"] as? Int == 500)
        #expect(((summaries.first?["Http"] as? [String: Any])?["UserAgent"] as? String)?.hasPrefix("Werkzeug/") == true)
        #expect((summaries.first?["Http"] as? [String: Any])?["ClientIp"] as? String == "127.0.0.1")
        let rootCause = (summaries.first?["FaultRootCauses"] as? [[String: Any]])?.first
        let causeService = (rootCause?["Services"] as? [[String: Any]])?.first
        #expect(causeService?["Name"] as? String == "flask-app")
        let exceptions = ((causeService?["EntityPath"] as? [[String: Any]])?.last?["Exceptions"] as? [[String: Any]])
        #expect(exceptions?.first?["Name"] as? String == "ValueError")
        #expect(rootCause?["ClientImpacting"] as? Bool == true)
        let annotated = try aws(["get-trace-summaries", "--filter-expression", "annotation.user = \"ada\""] + window, endpoint: daemon.address)
        #expect((annotated["TraceSummaries"] as? [[String: Any]])?.count == 1)

        let graph = try aws(["get-service-graph"] + window, endpoint: daemon.address)
        let services = try #require(graph["Services"] as? [[String: Any]])
        #expect(services.contains { $0["Name"] as? String == "flask-app" })
        #expect(services.contains { $0["Type"] as? String == "client" })

        let bad = try XRayBinary.run(
            ["xray", "get-trace-summaries", "--filter-expression", "responsetime >"] + window
                + ["--endpoint-url", "http://\(daemon.address)", "--region", "us-east-1", "--no-sign-request"],
            executable: URL(fileURLWithPath: try #require(Self.awsCLI)))
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("InvalidRequestException"))
    }
}
