import Testing

@testable import XRayCollector

/// The strict RFC 9112 request parser on its own, fed bytes in every split a network can produce.
@Suite struct HTTPParserTests {
    /// Feeds `text` in pieces of `step` bytes and collects what the parser reports.
    static func parse(_ text: String, step: Int = .max) -> (requests: [HTTPRequest], heads: [RequestHead], error: HTTPParseError?) {
        var parser = HTTPRequestParser(peer: "test")
        var requests: [HTTPRequest] = []
        var heads: [RequestHead] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            bytes[offset..<end].withUnsafeBytes { parser.append($0) }
            offset = end
            do {
                loop: while true {
                    switch try parser.next() {
                    case .needMore: break loop
                    case .head(let head): heads.append(head)
                    case .request(let request): requests.append(request)
                    }
                }
            } catch {
                return (requests, heads, error)
            }
        }
        return (requests, heads, nil)
    }

    static let chunkedHead = "POST /TraceSegments HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    static let chunked =
        chunkedHead
        + "5;name=value;other\r\nhello\r\n"
        + "1\r\n \r\n"
        + "6 ; ext=\"quoted;x\"\r\nworld!\r\n"
        + "0;last\r\nX-Trailer: dropped\r\nOther: too\r\n\r\n"
        + "POST /Next HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"

    /// A chunked body with extensions and trailers decodes the same in one read or split at any byte, and
    /// the request after it (pipelined) is read intact.
    @Test(arguments: [1, 2, 3, 7, 64, Int.max])
    func decodesChunkedBodiesSplitAnywhere(step: Int) throws {
        let result = Self.parse(Self.chunked, step: step)
        #expect(result.error == nil)
        #expect(result.requests.count == 2)
        #expect(result.requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello world!")
        #expect(result.requests.first?.headers.contains { $0.name == "x-trailer" } == false)
        #expect(result.requests.last?.path == "/Next")
        #expect(result.requests.last?.body == Array("{}".utf8))
        #expect(result.heads.first?.framing == .chunked)
    }

    /// HTTP/1.0 closes unless it asks for keep-alive; HTTP/1.1 keeps alive unless it asks to close.
    @Test func keepAliveFollowsTheVersionAndConnectionHeader() throws {
        func keepAlive(_ version: String, _ connection: String?) -> Bool? {
            let header = connection.map { "Connection: \($0)\r\n" } ?? ""
            return Self.parse("GET / \(version)\r\nHost: h\r\n\(header)\r\n").heads.first?.keepAlive
        }
        #expect(keepAlive("HTTP/1.0", nil) == false)
        #expect(keepAlive("HTTP/1.0", "Keep-Alive") == true)
        #expect(keepAlive("HTTP/1.1", nil) == true)
        #expect(keepAlive("HTTP/1.1", "keep-alive, Close") == false)
    }

    /// The 16 KiB head limit holds whether the head comes in one read or byte by byte.
    @Test(arguments: [1, 1000, Int.max])
    func limitsTheHeadWhateverTheReadSizes(step: Int) {
        let long = "GET / HTTP/1.1\r\nHost: h\r\nX-Long: \(String(repeating: "a", count: 17_000))\r\n\r\n"
        #expect(Self.parse(long, step: step).error == .headTooLarge)
        let unterminated = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 20_000)
        #expect(Self.parse(unterminated, step: step).error == .headTooLarge)
    }

    /// Identical Content-Length values, repeated or listed, are one value.
    @Test func acceptsIdenticalContentLengths() {
        let result = Self.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc")
        #expect(result.error == nil)
        #expect(result.requests.first?.body == Array("abc".utf8))
    }

    /// Chunked bodies are held to the 1 MiB limit like Content-Length ones, counted as they arrive.
    @Test func limitsChunkedBodies() {
        let chunk = String(repeating: "a", count: 0x80000)
        let text = Self.chunkedHead + "80000\r\n\(chunk)\r\n80000\r\n\(chunk)\r\n1\r\na\r\n0\r\n\r\n"
        guard case .bodyTooLarge = Self.parse(text, step: 65_536).error else {
            Issue.record("a chunked body over 1 MiB was accepted")
            return
        }
        #expect(Self.parse(Self.chunkedHead + "123456789\r\n").error == .bodyTooLarge("chunk size over the body limit"))
    }
}
