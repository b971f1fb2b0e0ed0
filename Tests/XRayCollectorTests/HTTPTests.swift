import Testing
import XRaySampling
import XRayStore
import XRayWire

@testable import XRayCollector

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// The X-Ray API over real TCP connections.
@Suite struct HTTPTests {
    /// GetSamplingRules answers in the shape every SDK accepts: numbers for times, Attributes {}, one page.
    @Test func servesTheDefaultRuleInTheAPIShape() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            let response = try #require(http.post("/GetSamplingRules", "{}"))
            #expect(response.status == 200)
            let records = try #require(response.json?.objectValue?["SamplingRuleRecords"]?.arrayValue)
            #expect(records.count == 1)
            let record = try #require(records.first?.objectValue)
            let rule = try #require(record["SamplingRule"]?.objectValue)
            #expect(rule["RuleName"] == .string("Default"))
            #expect(rule["FixedRate"]?.doubleValue == 1)
            #expect(rule["ReservoirSize"]?.doubleValue == 1)
            #expect(rule["ResourceARN"] == .string("*"))
            #expect(rule["Version"] == .number(JSONNumber(1)))
            #expect(rule["Attributes"] == .object(JSONObject()))
            #expect(rule["ServiceType"] == .string("*"))
            #expect(record["CreatedAt"]?.doubleValue != nil)
            #expect(record["ModifiedAt"]?.doubleValue != nil)
            #expect(response.json?.objectValue?["NextToken"] == nil)
        }
    }

    /// A rule's reservoir is shared between the clients that report for it; unknown rules come back unprocessed.
    @Test func sharesTheReservoirBetweenReportingClients() throws {
        let rules = [
            SamplingRule(ruleName: "api", priority: 1, fixedRate: JSONNumber(text: "0"), reservoirSize: JSONNumber(3)),
            SamplingRule(ruleName: "Default", priority: 10_000, fixedRate: JSONNumber(text: "0.05"), reservoirSize: JSONNumber(1)),
        ]
        try TestCollector.with({ $0.samplingRules = rules }) { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            func report(_ client: String, _ rule: String = "api") throws -> JSONObject {
                let body =
                    #"{"SamplingStatisticsDocuments":[{"RuleName":"\#(rule)","ClientID":"\#(client)","RequestCount":5,"BorrowCount":1,"SampledCount":2,"Timestamp":1795560672}]}"#
                let response = try #require(http.post("/SamplingTargets", body))
                #expect(response.status == 200)
                return try #require(response.json?.objectValue)
            }
            let alone = try report("aaaaaaaaaaaaaaaaaaaaaaaa")
            let target = try #require(alone["SamplingTargetDocuments"]?.arrayValue?.first?.objectValue)
            #expect(target["RuleName"] == .string("api"))
            #expect(target["ReservoirQuota"]?.doubleValue == 3)
            #expect(target["FixedRate"]?.doubleValue == 0)
            #expect(target["Interval"]?.doubleValue == 10)
            #expect((target["ReservoirQuotaTTL"]?.doubleValue ?? 0) > 1_700_000_000)
            #expect(alone["LastRuleModification"]?.doubleValue != nil)
            let second = try report("bbbbbbbbbbbbbbbbbbbbbbbb")
            #expect(second["SamplingTargetDocuments"]?.arrayValue?.first?.objectValue?["ReservoirQuota"]?.doubleValue == 1)
            let first = try report("aaaaaaaaaaaaaaaaaaaaaaaa")
            #expect(first["SamplingTargetDocuments"]?.arrayValue?.first?.objectValue?["ReservoirQuota"]?.doubleValue == 2)
            let unknown = try report("aaaaaaaaaaaaaaaaaaaaaaaa", "nope")
            #expect(unknown["SamplingTargetDocuments"]?.arrayValue?.isEmpty == true)
            #expect(unknown["UnprocessedStatistics"]?.arrayValue?.first?.objectValue?["RuleName"] == .string("nope"))
        }
    }

    /// More statistics documents than the API's 25 are refused at once; ClientIDs are bounded in length.
    @Test func refusesOversizedSamplingTargetsRequests() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            // 20,000 documents in under 1 MiB: the shape that held the lock for a minute.
            let documents = (0..<20_000).map { #"{"RuleName":"Default","ClientID":"\#(100_000 + $0)"}"# }
            let big = try #require(http.post("/SamplingTargets", #"{"SamplingStatisticsDocuments":[\#(documents.joined(separator: ","))]}"#))
            #expect(big.status == 400)
            #expect(big.json?.objectValue?["message"]?.stringValue?.contains("limit of 25") == true)
            let long = #"{"SamplingStatisticsDocuments":[{"RuleName":"Default","ClientID":"\#(String(repeating: "a", count: 65))"}]}"#
            #expect(http.post("/SamplingTargets", long)?.status == 400)
            let ok = #"{"SamplingStatisticsDocuments":[\#(documents.prefix(25).joined(separator: ","))]}"#
            #expect(http.post("/SamplingTargets", ok)?.status == 200)
        }
    }

    /// Only the 256 clients that reported last share a rule's reservoir; older ones are forgotten, so the
    /// table cannot grow without bound.
    @Test func forgetsTheOldestClientsPastTheCap() throws {
        let rules = [SamplingRule(ruleName: "Default", priority: 10_000, fixedRate: JSONNumber(text: "0"), reservoirSize: JSONNumber(256))]
        try TestCollector.with({ $0.samplingRules = rules }) { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            // 300 clients in ascending id order, the last one sorting after all the others.
            let clients = (0..<300).map { "c" + String(repeating: "0", count: 19) + String(1000 + $0) }
            var quota: Double?
            for start in stride(from: 0, to: clients.count, by: 25) {
                let batch = clients[start..<min(start + 25, clients.count)]
                    .map { #"{"RuleName":"Default","ClientID":"\#($0)"}"# }.joined(separator: ",")
                let response = try #require(http.post("/SamplingTargets", #"{"SamplingStatisticsDocuments":[\#(batch)]}"#))
                #expect(response.status == 200)
                quota = response.json?.objectValue?["SamplingTargetDocuments"]?.arrayValue?.first?.objectValue?["ReservoirQuota"]?.doubleValue
            }
            // 256 remembered clients share 256: one each. With all 300 the last (highest) id would get 0.
            #expect(quota == 1)
        }
    }

    /// PutTraceSegments stores the good documents and returns the bad ones; BatchGetTraces reads them back.
    @Test func putsAndGetsTraceSegments() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            var documents = ""
            JSONWriter.writeString(Fixture.segment(trace: 7, id: 1), into: &documents)
            documents += ","
            JSONWriter.writeString(#"{"trace_id":"bad","id":"0000000000000002","name":"x","start_time":1,"end_time":2}"#, into: &documents)
            let put = try #require(http.post("/TraceSegments", #"{"TraceSegmentDocuments":[\#(documents)]}"#))
            #expect(put.status == 200)
            let unprocessed = try #require(put.json?.objectValue?["UnprocessedTraceSegments"]?.arrayValue)
            #expect(unprocessed.count == 1)
            #expect(unprocessed.first?.objectValue?["Id"] == .string("0000000000000002"))
            #expect(unprocessed.first?.objectValue?["ErrorCode"] == .string("InvalidTraceId"))
            // Answered after the commit, so the trace is readable at once, on the same keep-alive connection.
            let get = try #require(http.post("/Traces", #"{"TraceIds":["\#(Fixture.traceID(7))","1-5f84c7a1-00000000000000000000ffff"]}"#))
            #expect(get.status == 200)
            let traces = try #require(get.json?.objectValue?["Traces"]?.arrayValue)
            #expect(traces.map { $0.objectValue?["Id"] } == [.string(Fixture.traceID(7))])
            #expect(traces.first?.objectValue?["Segments"]?.arrayValue?.first?.objectValue?["Document"]?.stringValue != nil)
            #expect(get.json?.objectValue?["UnprocessedTraceIds"] == .array([.string("1-5f84c7a1-00000000000000000000ffff")]))
            let counters = c.collector.stop()
            #expect(counters.stored == 1)
            #expect(counters.rejectedByReason == ["trace_id": 1])
        }
    }

    /// GetTraceSummaries pages with NextToken, 100 summaries at a time, and filters with FilterExpression.
    @Test func traceSummariesPageWithNextToken() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            var documents: [String] = []
            for n in 1...150 {
                var text = ""
                JSONWriter.writeString(Fixture.segment(trace: n, id: n, name: n % 3 == 0 ? "orders" : "front"), into: &text)
                documents.append(text)
            }
            let put = try #require(http.post("/TraceSegments", #"{"TraceSegmentDocuments":[\#(documents.joined(separator: ","))]}"#))
            #expect(put.status == 200)
            var seen = Set<String>()
            var token: String?
            var pages = 0
            repeat {
                let body =
                    token.map { #"{"StartTime":1602537000,"EndTime":1602538000,"NextToken":"\#($0)"}"# }
                    ?? #"{"StartTime":1602537000,"EndTime":1602538000}"#
                let page = try #require(http.post("/TraceSummaries", body))
                #expect(page.status == 200)
                let summaries = try #require(page.json?.objectValue?["TraceSummaries"]?.arrayValue)
                for s in summaries { if let id = s.objectValue?["Id"]?.stringValue { seen.insert(id) } }
                token = page.json?.objectValue?["NextToken"]?.stringValue
                pages += 1
            } while token != nil && pages < 5
            #expect(pages == 2)
            #expect(seen.count == 150)
            let filtered = try #require(
                http.post("/TraceSummaries", #"{"StartTime":1602537000,"EndTime":1602538000,"FilterExpression":"service(\"orders\")"}"#))
            #expect(filtered.json?.objectValue?["TraceSummaries"]?.arrayValue?.count == 50)
            let bad = try #require(http.post("/TraceSummaries", #"{"FilterExpression":"responsetime >"}"#))
            #expect(bad.status == 400)
            #expect(bad.json?.objectValue?["__type"] == .string("InvalidRequestException"))
        }
    }

    /// 1,000 idle keep-alive clients and 100 slowloris connections are all held, a new client is still served
    /// (not refused with 503), and a UDP burst sent meanwhile is stored whole.
    @Test func idleAndSlowClientsStarveNeitherRequestsNorIntake() throws {
        try TestCollector.with { c in
            var open: [RawHTTP] = []
            defer { for connection in open { connection.close() } }
            // All connect before any is answered: a burst the listen backlog must hold, not reset.
            for _ in 0..<1_000 { open.append(try RawHTTP(port: c.tcpPort)) }
            for connection in open {
                connection.write("POST /GetSamplingRules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            }
            let statuses = open.map { $0.readResponse()?.status ?? 0 }
            #expect(statuses.filter { $0 == 200 }.count == 1_000, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            for i in 0..<100 {
                let connection = try RawHTTP(port: c.tcpPort)
                open.append(connection)
                connection.write(
                    i % 2 == 0
                        ? "POST /GetSamplingRules HTTP/1.1\r\nHo"
                        : "POST /GetSamplingRules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{")
            }
            c.send((0..<500).map { Array(Fixture.datagram(Fixture.segment(trace: 5000 + $0, id: 1)).utf8) })
            for connection in open.suffix(100) { connection.write("s") }
            let fresh = try RawHTTP(port: c.tcpPort)
            defer { fresh.close() }
            #expect(fresh.post("/GetSamplingRules", "{}")?.status == 200)
            #expect(open[0].post("/GetSamplingRules", "{}")?.status == 200)
            let counters = c.collector.stop()
            #expect(counters.stored == 500)
            #expect(counters.httpRefused == 0)
        }
    }

    /// Anything but the four operations is a rest-json error with a 4xx status.
    @Test(arguments: [
        ("POST", "/GetSamplingTargets", 404, "UnknownOperationException"),
        ("GET", "/", 404, "UnknownOperationException"),
        ("GET", "/GetSamplingRules", 405, "MethodNotAllowedException"),
    ])
    func refusesUnknownOperations(method: String, path: String, status: Int, type: String) throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            let response = try #require(http.post(path, "{}", method: method))
            #expect(response.status == status)
            #expect(response.json?.objectValue?["__type"] == .string(type))
            #expect(response.json?.objectValue?["message"]?.stringValue?.isEmpty == false)
        }
    }

    /// A body that is not JSON, or not the operation's shape, is a 400 InvalidRequestException.
    @Test func refusesMalformedBodies() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            for (path, body) in [("/SamplingTargets", "{not json"), ("/SamplingTargets", "{}"), ("/TraceSegments", "[]"), ("/Traces", "{}")] {
                let response = try #require(http.post(path, body))
                #expect(response.status == 400, "\(path) \(body)")
                #expect(response.json?.objectValue?["__type"] == .string("InvalidRequestException"))
            }
        }
    }

    /// Bodies over 1 MiB are refused with 413 before they are read, and the connection is closed.
    @Test func refusesOversizedBodies() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            http.write("POST /TraceSegments HTTP/1.1\r\nHost: x\r\nContent-Length: \((1 << 20) + 1)\r\n\r\n")
            let response = try #require(http.readResponse())
            #expect(response.status == 413)
            #expect(response.json?.objectValue?["__type"] == .string("RequestEntityTooLarge"))
            #expect(http.isClosedByPeer())
        }
    }

    /// A chunked PutTraceSegments body is stored; garbage request lines are refused, and intake keeps working.
    @Test func storesChunkedBodiesAndRefusesGarbage() throws {
        try TestCollector.with { c in
            let chunked = try RawHTTP(port: c.tcpPort)
            defer { chunked.close() }
            var document = ""
            JSONWriter.writeString(Fixture.segment(trace: 9, id: 1), into: &document)
            let body = Array(#"{"TraceSegmentDocuments":[\#(document)]}"#.utf8)
            let half = body.count / 2
            chunked.write("POST /TraceSegments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunked.write(String(half, radix: 16) + "\r\n" + String(decoding: body[..<half], as: UTF8.self) + "\r\n")
            chunked.write(String(body.count - half, radix: 16) + ";x=y\r\n" + String(decoding: body[half...], as: UTF8.self) + "\r\n0\r\n\r\n")
            #expect(chunked.readResponse()?.status == 200)
            let garbage = try RawHTTP(port: c.tcpPort)
            defer { garbage.close() }
            garbage.write("HELLO\r\n\r\n")
            #expect(garbage.readResponse()?.status == 400)
            c.send(Fixture.datagram(Fixture.segment(trace: 8, id: 1)))
            #expect(c.collector.stop().stored == 2)
        }
    }

    /// Expect: 100-continue gets its interim response before the body is sent.
    @Test func answersExpectContinue() throws {
        try TestCollector.with { c in
            let http = try RawHTTP(port: c.tcpPort)
            defer { http.close() }
            http.write(
                "POST /GetSamplingRules HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
            #expect(http.readResponse()?.status == 100)
            http.write("{}")
            #expect(http.readResponse()?.status == 200)
        }
    }
}

/// Only local clients may use the API: browsers (CSRF, DNS rebinding) are refused before any work is done.
@Suite struct RequestAdmissionTests {
    static let probe = #"{"TraceSegmentDocuments":[]}"#

    /// Sends one request with exactly these headers (plus Content-Length) and reads the answer.
    static func exchange(
        port: Int, headers: [String], path: String = "/TraceSegments", method: String = "POST",
        body: String = probe
    ) throws -> RawHTTP.Response {
        let http = try RawHTTP(port: port)
        defer { http.close() }
        let head = (["\(method) \(path) HTTP/1.1"] + headers + ["Content-Length: \(body.utf8.count)"]).joined(separator: "\r\n")
        http.write(head + "\r\n\r\n" + body)
        return try #require(http.readResponse())
    }

    /// A rebound name in Host is refused with 403 and a rest-json error; the address itself, with or without
    /// its port, and localhost are served.
    @Test func hostMustNameTheServedAddress() throws {
        try TestCollector.with { c in
            let refused = try Self.exchange(port: c.tcpPort, headers: ["Host: rebind.attacker.example", "Content-Type: application/json"])
            #expect(refused.status == 403)
            #expect(refused.json?.objectValue?["__type"] == .string("AccessDeniedException"))
            #expect(refused.json?.objectValue?["message"]?.stringValue?.contains("rebind.attacker.example") == true)
            #expect(
                try Self.exchange(port: c.tcpPort, headers: ["Host: rebind.attacker.example:\(c.tcpPort)", "Content-Type: application/json"]).status == 403)
            #expect(try Self.exchange(port: c.tcpPort, headers: ["Host: 127.0.0.1:\(c.tcpPort + 1)", "Content-Type: application/json"]).status == 403)
            #expect(try Self.exchange(port: c.tcpPort, headers: ["Content-Type: application/json"]).status == 400)
            for host in ["127.0.0.1", "127.0.0.1:\(c.tcpPort)", "localhost", "LOCALHOST:\(c.tcpPort)"] {
                #expect(try Self.exchange(port: c.tcpPort, headers: ["Host: \(host)", "Content-Type: application/json"]).status == 200)
            }
            #expect(c.collector.counters.httpRefused == 4)
        }
    }

    /// A browser's Origin header is refused with 403 unless --allow-origin named it; no CORS header is ever `*`.
    @Test func browserOriginsAreRefusedUnlessAllowed() throws {
        try TestCollector.with({ $0.allowedOrigins = ["http://localhost:3000"] }) { c in
            let evil = try Self.exchange(port: c.tcpPort, headers: ["Host: 127.0.0.1", "Origin: http://evil.example", "Content-Type: application/json"])
            #expect(evil.status == 403)
            #expect(evil.json?.objectValue?["message"]?.stringValue?.contains("--allow-origin") == true)
            #expect(evil.headers["access-control-allow-origin"] == nil)
            #expect(try Self.exchange(port: c.tcpPort, headers: ["Host: 127.0.0.1", "Origin: null", "Content-Type: application/json"]).status == 403)
            let allowed = try Self.exchange(port: c.tcpPort, headers: ["Host: 127.0.0.1", "Origin: http://localhost:3000", "Content-Type: application/json"])
            #expect(allowed.status == 200)
            #expect(allowed.headers["access-control-allow-origin"] == "http://localhost:3000")
            let preflight = try Self.exchange(
                port: c.tcpPort, headers: ["Host: 127.0.0.1", "Origin: http://localhost:3000", "Access-Control-Request-Method: POST"],
                method: "OPTIONS", body: "")
            #expect(preflight.status == 204)
            #expect(preflight.headers["access-control-allow-origin"] == "http://localhost:3000")
            let otherPreflight = try Self.exchange(
                port: c.tcpPort, headers: ["Host: 127.0.0.1", "Origin: http://evil.example", "Access-Control-Request-Method: POST"],
                method: "OPTIONS", body: "")
            #expect(otherPreflight.status == 403)
        }
    }

    /// A body that is not declared JSON (what a page can send without a preflight) is refused with 415.
    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", nil as String?])
    func nonJSONBodiesAreRefused(type: String?) throws {
        try TestCollector.with { c in
            let headers = ["Host: 127.0.0.1"] + (type.map { ["Content-Type: \($0)"] } ?? [])
            let response = try Self.exchange(port: c.tcpPort, headers: headers)
            #expect(response.status == 415)
            #expect(response.json?.objectValue?["__type"] == .string("UnsupportedMediaTypeException"))
            let stored = try c.store().traceSummaries(limit: 10)
            #expect(stored.isEmpty)
        }
    }

    /// What botocore, the SDK pollers and the other AWS SDKs send is served.
    @Test(arguments: ["application/json", "application/x-amz-json-1.1", "application/x-amz-json-1.0", "Application/JSON; charset=utf-8"])
    func jsonMediaTypesAreServed(type: String) throws {
        try TestCollector.with { c in
            let response = try Self.exchange(port: c.tcpPort, headers: ["Host: 127.0.0.1", "Content-Type: \(type)"])
            #expect(response.status == 200)
        }
    }

    @Test(arguments: ["http://localhost:3000", "https://app.example", "http://[::1]:8080"])
    func acceptsOrigins(origin: String) throws {
        try RequestPolicy.validate(origin: origin)
    }

    @Test(arguments: ["*", "localhost:3000", "http://", "http://a.example/", "http://a.example/path", "file://x"])
    func rejectsMalformedOrigins(origin: String) {
        #expect(throws: RequestPolicyError.self) { try RequestPolicy.validate(origin: origin) }
    }
}

/// Addresses as AWS_XRAY_DAEMON_ADDRESS writes them, and port conflicts.
@Suite struct AddressTests {
    @Test func parsesBothForms() throws {
        #expect(try DaemonAddress.parse("127.0.0.1:2000") == .default)
        let split = try DaemonAddress.parse("udp:127.0.0.1:3000 tcp:127.0.0.2:4000")
        #expect(split.udp == Endpoint(host: "127.0.0.1", port: 3000))
        #expect(split.tcp == Endpoint(host: "127.0.0.2", port: 4000))
        #expect(try DaemonAddress.parse("tcp:h:1 udp:h:2").environmentValue == "tcp:h:1 udp:h:2")
        let v6 = try DaemonAddress.parse("[::1]:2000")
        #expect(v6.udp == Endpoint(host: "::1", port: 2000))
        #expect(v6.environmentValue == "[::1]:2000")
        #expect(try DaemonAddress.parse("tcp:[::1]:1 udp:127.0.0.1:2").tcp == Endpoint(host: "::1", port: 1))
    }

    /// `--listen [::1]:0`: UDP segments and the HTTP API over IPv6 loopback, `Host: [::1]:port` accepted.
    @Test func listensOnIPv6Loopback() throws {
        try TestCollector.with({ $0.address = DaemonAddress(udp: Endpoint(host: "::1", port: 0), tcp: Endpoint(host: "::1", port: 0)) }) { c in
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            address.sin6_port = in_port_t(UInt16(c.udpPort).bigEndian)
            let udp = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            let datagram = Array(Fixture.datagram(Fixture.segment(trace: 60, id: 1)).utf8)
            let sent = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(udp, datagram, datagram.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
            close(udp)
            #expect(sent == datagram.count)
            address.sin6_port = in_port_t(UInt16(c.tcpPort).bigEndian)
            let tcp = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(tcp) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(tcp, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(tcp, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
            #expect(rc == 0)
            let request = Array(
                "POST /GetSamplingRules HTTP/1.1\r\nHost: [::1]:\(c.tcpPort)\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".utf8)
            _ = send(tcp, request, request.count, Int32(MSG_NOSIGNAL))
            var reply = [UInt8](repeating: 0, count: 4096)
            let n = recv(tcp, &reply, reply.count, 0)
            #expect(String(decoding: reply[0..<max(n, 0)], as: UTF8.self).hasPrefix("HTTP/1.1 200 "))
            #expect(c.collector.stop().stored == 1)
        }
    }

    @Test(arguments: [
        "", "127.0.0.1", "127.0.0.1:99999", ":2000", "::1:2000", "[::1]", "[::1]2000", "[nope]:1", "[::1:2000", "tcp:a:1", "tcp:a:1 tcp:b:2",
        "tcp:a:1  udp:b:2", "x:a:1 udp:b:2",
    ])
    func rejectsMalformedAddresses(text: String) {
        #expect(throws: CollectorError.self) { try DaemonAddress.parse(text) }
    }

    /// A taken port is a typed error naming the port and how to find who holds it.
    @Test func reportsAPortInUse() throws {
        try TestCollector.with { first in
            let address = try DaemonAddress.parse("127.0.0.1:\(first.udpPort)")
            do throws(CollectorError) {
                let second = try Collector.start(.init(address: address, storePath: first.storePath))
                _ = second.stop()
                Issue.record("a second collector started on a taken port")
            } catch {
                guard case .portInUse(_, _, let port) = error else {
                    Issue.record("expected portInUse, got \(error)")
                    return
                }
                #expect(port == first.udpPort)
                #expect(error.description.contains("\(first.udpPort)"))
                // Which flag picks another port is the CLI's to say (ExitCodeEndToEndTests), not the library's.
                #expect(!error.description.contains("--listen"))
            }
        }
    }

    /// Port 0 with one shared address picks one port free for both UDP and TCP.
    @Test func portZeroSharesOnePort() throws {
        try TestCollector.with { c in
            #expect(c.udpPort != 0)
            #expect(c.udpPort == c.tcpPort)
        }
    }
}
