/// Why a request was refused while its bytes were parsed; every case ends the connection, because after a
/// framing error the next request's first byte cannot be found reliably (RFC 9112 section 11.2, smuggling).
enum HTTPParseError: Error, Equatable, Sendable {
    /// A malformed request line, header line, Content-Length or chunk (400).
    case malformed(String)
    /// The request line and headers, or the trailers, passed the 16 KiB limit (431).
    case headTooLarge
    /// A body over the body limit (1 MiB, more on OTLP paths), declared or read (413).
    case bodyTooLarge(String)
    /// A well-formed version other than HTTP/1.0 and HTTP/1.1 (505).
    case unsupportedVersion(String)
    /// A transfer coding other than chunked (501).
    case unsupportedCoding(String)

    /// The rest-json error response, with `Connection: close`.
    var response: HTTPResponse {
        switch self {
        case .malformed(let message):
            .error(400, "BadRequest", message, close: true)
        case .headTooLarge:
            .error(431, "RequestHeaderFieldsTooLarge", "request head over \(HTTPRequestParser.maxHead) bytes", close: true)
        case .bodyTooLarge(let message):
            .error(413, "RequestEntityTooLarge", message, close: true)
        case .unsupportedVersion(let version):
            .error(505, "HTTPVersionNotSupported", "\(version) is not supported; send HTTP/1.1", close: true)
        case .unsupportedCoding(let coding):
            .error(501, "NotImplemented", "transfer coding \"\(coding)\" is not supported; send chunked or Content-Length", close: true)
        }
    }
}

/// How the body of a request is delimited (RFC 9112 section 6.3).
enum BodyFraming: Equatable, Sendable {
    case length(Int)
    case chunked
}

/// A parsed request head and what it means for the connection.
struct RequestHead: Sendable {
    var request: HTTPRequest
    var framing: BodyFraming
    /// False for `Connection: close`, and for HTTP/1.0 without `Connection: keep-alive` (RFC 9112 section 9.3).
    var keepAlive: Bool
    /// `Expect: 100-continue` (RFC 9110 section 10.1.1).
    var expectsContinue: Bool
}

/// An incremental, strict HTTP/1.1 request parser (RFC 9112) over bytes as they arrive, in any split.
///
/// It never buffers more than the 16 KiB head limit while looking for a head, nor more than the 1 MiB body
/// limit of body, so a client cannot make it hold more memory than that, however it splits its writes.
struct HTTPRequestParser {
    static let maxHead = 16 * 1024
    /// The body limit of the X-Ray operations; OTLP paths are allowed more (`HTTPLimits.maxBody`).
    static let defaultMaxBody = 1 << 20
    /// The longest chunk-size line, extensions included.
    static let maxChunkLine = 4096

    enum Event {
        /// More bytes are needed.
        case needMore
        /// A head is complete; its body follows.
        case head(RequestHead)
        /// A whole request, body included.
        case request(HTTPRequest)
    }

    private enum ChunkState {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers(bytes: Int)
    }

    private enum State {
        case head
        case body(HTTPRequest, remaining: Int)
        case chunked(HTTPRequest, ChunkState, framingBytes: Int)
    }

    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already consumed.
    private var start = 0
    /// Bytes of the pending head already searched for its end.
    private var searched = 0
    private var state = State.head
    let peer: String
    /// The largest body read; `RequestPolicy` holds each path to its own limit below it.
    let maxBody: Int

    init(peer: String, maxBody: Int = HTTPRequestParser.defaultMaxBody) {
        self.peer = peer
        self.maxBody = maxBody
    }

    /// Whether unparsed bytes are waiting: a connection with none between requests is idle.
    var hasBufferedBytes: Bool { start < buffer.count }

    /// Whether the parser is between requests or within a head (not within a body).
    var isReadingHead: Bool {
        if case .head = state { return true }
        return false
    }

    /// Whether everything a body still needs is already buffered (for `Expect: 100-continue`).
    var bodyIsBuffered: Bool {
        switch state {
        case .head: true
        case .body(_, let remaining): buffer.count - start >= remaining
        case .chunked: false
        }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && (start == buffer.count || start >= 64 * 1024) {
            buffer.removeFirst(start)
            searched = max(0, searched - start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Parses what is buffered as far as it goes.
    ///
    /// - Throws: `HTTPParseError` for anything RFC 9112 says to refuse; the connection must then close.
    mutating func next() throws(HTTPParseError) -> Event {
        switch state {
        case .head:
            return try nextHead()
        case .body(let request, let remaining):
            guard buffer.count - start >= remaining else { return .needMore }
            var request = request
            request.body = Array(buffer[start..<(start + remaining)])
            start += remaining
            state = .head
            return .request(request)
        case .chunked(let request, let chunk, let framingBytes):
            // Leaves the state so the body has one owner and grows in place, not copied on each read.
            state = .head
            return try nextChunk(request, chunk, framingBytes: framingBytes)
        }
    }

    private mutating func nextHead() throws(HTTPParseError) -> Event {
        // RFC 9112 section 2.2: empty lines before the request line are ignored.
        while buffer.count - start >= 2, buffer[start] == 13, buffer[start + 1] == 10 {
            start += 2
            searched = max(searched, start)
        }
        let limit = min(buffer.count, start + Self.maxHead)
        var i = max(start, searched - 3)
        var end: Int?
        while i + 3 < limit {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 {
                end = i
                break
            }
            i += 1
        }
        guard let end else {
            if buffer.count - start >= Self.maxHead { throw .headTooLarge }
            searched = buffer.count
            return .needMore
        }
        let head = try Self.parseHead(buffer[start..<end], peer: peer, maxBody: maxBody)
        start = end + 4
        searched = start
        switch head.framing {
        case .length(let length): state = .body(head.request, remaining: length)
        case .chunked: state = .chunked(head.request, .size, framingBytes: 0)
        }
        return .head(head)
    }

    private mutating func nextChunk(_ request: HTTPRequest, _ chunk: ChunkState, framingBytes: Int) throws(HTTPParseError) -> Event {
        var request = request
        var chunk = chunk
        var framingBytes = framingBytes
        var finished = false
        defer { if !finished { state = .chunked(request, chunk, framingBytes: framingBytes) } }
        while true {
            switch chunk {
            case .size:
                guard let lineEnd = try lineEnd(limit: Self.maxChunkLine, tooLong: .malformed("chunk-size line over \(Self.maxChunkLine) bytes")) else {
                    return .needMore
                }
                let size = try Self.chunkSize(buffer[start..<lineEnd])
                framingBytes += lineEnd + 2 - start
                start = lineEnd + 2
                guard request.body.count + size <= maxBody else {
                    throw .bodyTooLarge("chunked request body over the \(Self.describe(maxBody)) limit")
                }
                chunk = size == 0 ? .trailers(bytes: 0) : .data(remaining: size)
            case .data(let remaining):
                let available = min(buffer.count - start, remaining)
                guard available > 0 else { return .needMore }
                request.body.append(contentsOf: buffer[start..<(start + available)])
                start += available
                chunk = available == remaining ? .dataEnd : .data(remaining: remaining - available)
            case .dataEnd:
                guard buffer.count - start >= 2 else { return .needMore }
                guard buffer[start] == 13, buffer[start + 1] == 10 else { throw .malformed("chunk data not followed by CRLF") }
                start += 2
                framingBytes += 2
                chunk = .size
            case .trailers(let bytes):
                // Trailer fields are read and dropped (RFC 9112 section 7.1.2): nothing here uses them.
                guard let lineEnd = try lineEnd(limit: Self.maxHead - bytes, tooLong: .headTooLarge) else { return .needMore }
                let length = lineEnd - start
                start = lineEnd + 2
                if length == 0 {
                    finished = true
                    return .request(request)
                }
                chunk = .trailers(bytes: bytes + length + 2)
            }
            if framingBytes > maxBody { throw .bodyTooLarge("chunked framing over the \(Self.describe(maxBody)) limit") }
        }
    }

    /// The index of the CR of the next CRLF from `start`, nil when not yet buffered.
    ///
    /// - Throws: `tooLong` when no CRLF comes within `limit` bytes; `.malformed` for a bare CR or LF.
    private func lineEnd(limit: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> Int? {
        var i = start
        let end = min(buffer.count, start + max(limit, 0) + 2)
        while i < end {
            let byte = buffer[i]
            if byte == 10 { throw .malformed("bare LF in chunked framing") }
            if byte == 13 {
                guard i + 1 < buffer.count else { return nil }
                guard buffer[i + 1] == 10 else { throw .malformed("bare CR in chunked framing") }
                return i
            }
            i += 1
        }
        if buffer.count - start >= max(limit, 0) + 2 { throw tooLong }
        return nil
    }

    /// The size of a `chunk-size [chunk-ext]` line; extensions are ignored (RFC 9112 section 7.1.1).
    static func chunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        var i = line.startIndex
        while i < line.endIndex, let value = hexValue(line[i]) {
            size = size * 16 + value
            digits += 1
            // Eight hex digits already exceed any body this server takes; more could overflow.
            if digits > 8 { throw .bodyTooLarge("chunk size over the body limit") }
            i += 1
        }
        guard digits > 0 else { throw .malformed("chunk size is not a hexadecimal number") }
        while i < line.endIndex, line[i] == 32 || line[i] == 9 { i += 1 }
        guard i == line.endIndex || line[i] == UInt8(ascii: ";") else { throw .malformed("unexpected bytes after the chunk size") }
        return size
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 48...57: Int(byte - 48)
        case 65...70: Int(byte - 55)
        case 97...102: Int(byte - 87)
        default: nil
        }
    }

    /// `tchar` of RFC 9110 section 5.6.2: what a method or a field name is made of.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Parses the request line and the header section (without the blank line that ends them).
    ///
    /// - Throws: `HTTPParseError` naming the line or field at fault.
    static func parseHead(_ head: ArraySlice<UInt8>, peer: String, maxBody: Int = defaultMaxBody) throws(HTTPParseError) -> RequestHead {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = head.startIndex
        var i = head.startIndex
        while i < head.endIndex {
            if head[i] == 13 {
                guard i + 1 < head.endIndex, head[i + 1] == 10 else { throw .malformed("bare CR in the request head") }
                lines.append(head[lineStart..<i])
                i += 2
                lineStart = i
                continue
            }
            if head[i] == 10 { throw .malformed("bare LF in the request head") }
            i += 1
        }
        lines.append(head[lineStart..<head.endIndex])
        let (method, target, minor) = try parseRequestLine(lines[0])
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            headers.append(try parseField(line))
        }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(target)
        let request = HTTPRequest(method: method, path: String(path), headers: headers, body: [], peer: peer)
        let hosts = headers.filter { $0.name == "host" }.count
        if hosts > 1 { throw .malformed("more than one Host header") }
        let connection = Set(headers.filter { $0.name == "connection" }.flatMap { list($0.value) })
        let keepAlive = connection.contains("close") ? false : (minor == 1 || connection.contains("keep-alive"))
        let expectsContinue = request.header("expect")?.lowercased() == "100-continue"
        return RequestHead(
            request: request, framing: try framing(headers, minor: minor, maxBody: maxBody), keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    /// `method SP request-target SP HTTP-version`, single spaces only (RFC 9112 section 3).
    private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String, Int) {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .malformed("malformed request line; send METHOD /path HTTP/1.1")
        }
        guard parts[0].allSatisfy(isTokenByte) else { throw .malformed("the method is not a token") }
        guard parts[1].allSatisfy({ $0 > 32 && $0 != 127 }) else { throw .malformed("the request target has control bytes") }
        let version = Array(parts[2])
        let versionText = String(decoding: version, as: UTF8.self)
        guard version.count == 8, version.starts(with: Array("HTTP/".utf8)), (48...57).contains(version[5]),
            version[6] == UInt8(ascii: "."), (48...57).contains(version[7])
        else {
            throw .malformed("malformed HTTP version \"\(versionText)\"")
        }
        guard version[5] == UInt8(ascii: "1"), version[7] <= UInt8(ascii: "1") else { throw .unsupportedVersion(versionText) }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), Int(version[7] - 48))
    }

    /// `field-name ":" OWS field-value OWS`: no space before the colon, no folding (RFC 9112 section 5).
    private static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            if line.first == 32 || line.first == 9 { throw .malformed("folded header line (obs-fold)") }
            throw .malformed("header line without a colon")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty else { throw .malformed("empty header name") }
        guard name.allSatisfy(isTokenByte) else {
            let shown = String(decoding: name, as: UTF8.self)
            if name.last == 32 || name.last == 9 { throw .malformed("whitespace before the colon in header \"\(shown)\"") }
            throw .malformed("header name \"\(shown)\" is not a token")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 32 || first == 9 { value.removeFirst() }
        while let last = value.last, last == 32 || last == 9 { value.removeLast() }
        guard value.allSatisfy({ $0 >= 32 && $0 != 127 || $0 == 9 }) else {
            throw .malformed("control byte in the value of header \"\(String(decoding: name, as: UTF8.self))\"")
        }
        return (String(decoding: name, as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self))
    }

    /// `1 MiB`, `4 MiB`, or a byte count when the limit is not whole mebibytes.
    static func describe(_ limit: Int) -> String {
        limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit)-byte"
    }

    /// The comma-separated members of a list header, lower-cased and trimmed, empty ones dropped.
    private static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingSpaces.lowercased() }.filter { !$0.isEmpty }
    }

    /// The body framing by RFC 9112 section 6.3: Transfer-Encoding with chunked last, else one Content-Length.
    private static func framing(_ headers: [(name: String, value: String)], minor: Int, maxBody: Int) throws(HTTPParseError) -> BodyFraming {
        let encodings = headers.filter { $0.name == "transfer-encoding" }
        let lengths = headers.filter { $0.name == "content-length" }
        if !encodings.isEmpty {
            guard lengths.isEmpty else { throw .malformed("both Transfer-Encoding and Content-Length; send only one") }
            guard minor == 1 else { throw .malformed("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = encodings.flatMap { list($0.value) }
            guard codings.last == "chunked" else {
                throw .malformed("Transfer-Encoding \"\(encodings.map(\.value).joined(separator: ", "))\" does not end in chunked")
            }
            if let other = codings.dropLast().first(where: { $0 != "chunked" }) { throw .unsupportedCoding(other) }
            guard codings.count == 1 else { throw .malformed("chunked applied more than once") }
            return .chunked
        }
        var length: Int?
        for field in lengths {
            // A list of identical values is one value (RFC 9110 section 8.6); digits only, no sign.
            for member in field.value.split(separator: ",", omittingEmptySubsequences: false) {
                let text = member.trimmingSpaces
                guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) else {
                    throw .malformed("Content-Length \"\(field.value)\" is not a number")
                }
                // More digits than a 1 MiB length needs can only be too large; never parse them into an Int.
                let value = text.utf8.count > 9 ? Int.max : Int(text) ?? Int.max
                if let length, length != value { throw .malformed("differing Content-Length values") }
                length = value
            }
        }
        let declared = length ?? 0
        guard declared <= maxBody else {
            throw .bodyTooLarge("request body of \(declared == Int.max ? "over 999,999,999" : String(declared)) bytes is over the \(describe(maxBody)) limit")
        }
        return .length(declared)
    }
}
