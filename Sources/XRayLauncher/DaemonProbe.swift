import XRayCollector
import XRaySystem

#if canImport(Glibc)
import Glibc
#endif

/// What answers at an `AWS_XRAY_DAEMON_ADDRESS` the user exported, so that `xray run` can say where the
/// command's segments will go before it starts, instead of capturing nothing without a word.
public enum DaemonProbe {
    public enum Finding: Sendable, Hashable {
        /// `POST /GetSamplingRules` on the TCP address answered with sampling rules: an X-Ray daemon (or an
        /// `xray daemon`) is there and will take the segments.
        case xrayDaemon
        /// Something accepted the TCP connection but did not answer as an X-Ray daemon does.
        case notXRay(String)
        /// Nothing accepted the connection: the UDP segments sent there are lost.
        case unreachable(String)
        /// The value is not an address the SDKs can use.
        case invalid(String)
    }

    /// The longest answer read: a rules document of the default rule is a few hundred bytes.
    static let maxResponse = 64 * 1024

    /// Connects to the TCP half of `address` and asks for sampling rules, as the SDKs' rule pollers do
    /// (X-Ray API `GetSamplingRules`, which the daemon proxies on its TCP address).
    ///
    /// Bounded: at most `timeoutMilliseconds` for the connection and as long again for the whole answer.
    public static func probe(_ address: String, timeoutMilliseconds: Int32 = 1000) -> Finding {
        let endpoint: Endpoint
        do {
            endpoint = try DaemonAddress.parse(address).tcp
        } catch {
            return .invalid(error.description)
        }
        let fd: Int32
        switch connect(endpoint, timeoutMilliseconds: timeoutMilliseconds) {
        case .failed(let finding): return finding
        case .connected(let connected): fd = connected
        }
        defer { close(fd) }
        let body = "{}"
        let request =
            "POST /GetSamplingRules HTTP/1.1\r\nHost: \(endpoint)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        let bytes = Array(request.utf8)
        let sent = bytes.withUnsafeBytes { SocketIO.send(fd, $0) }
        guard sent == bytes.count else { return .notXRay("tcp \(endpoint) accepted the connection but not the request") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = monotonicNow() + Double(timeoutMilliseconds) / 1000
        while response.count < maxResponse {
            let left = Int32(((deadline - monotonicNow()) * 1000).rounded(.up))
            guard left > 0, FileIO.wait(fd, events: Int16(POLLIN), milliseconds: left) else { break }
            let n = buffer.withUnsafeMutableBytes { SocketIO.receive(fd, into: $0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return classify(response, endpoint: endpoint)
    }

    /// Whether something accepts TCP connections at an OTLP endpoint URL (`http://host:port[/path]`; without
    /// a port, 4318, or 4317 for gRPC, the SDKs' defaults): an OpenTelemetry app exports its spans there.
    public static func probeOTLP(_ url: String, grpc: Bool, timeoutMilliseconds: Int32 = 1000) -> Finding {
        var rest = Substring(url)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst(7)
        } else if rest.hasPrefix("https://") {
            rest = rest.dropFirst(8)
        } else {
            return .invalid("\(url) is not an http:// or https:// URL")
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let endpoint: Endpoint
        do {
            endpoint =
                authority.contains(":") && !authority.hasSuffix("]")
                ? try Endpoint.parse(String(authority)) : Endpoint(host: String(authority), port: grpc ? 4317 : 4318)
        } catch {
            return .invalid(error.description)
        }
        switch connect(endpoint, timeoutMilliseconds: timeoutMilliseconds) {
        case .failed(let finding): return finding
        case .connected(let fd):
            close(fd)
            return .notXRay("tcp \(endpoint) accepts connections")
        }
    }

    enum Connection {
        case connected(Int32)
        case failed(Finding)
    }

    /// A connected TCP socket to `endpoint`, or why there is none.
    static func connect(_ endpoint: Endpoint, timeoutMilliseconds: Int32) -> Connection {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard rc == 0, let first = list else {
            return .failed(.unreachable("cannot resolve \(endpoint.host): \(String(cString: gai_strerror(rc)))"))
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failed(.unreachable("socket: \(String(cString: strerror(errno)))")) }
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            let reason: String?
            if errno != EINPROGRESS {
                reason = "tcp \(endpoint): \(String(cString: strerror(errno)))"
            } else if !FileIO.wait(fd, events: Int16(POLLOUT), milliseconds: timeoutMilliseconds) {
                reason = "tcp \(endpoint): no answer within \(timeoutMilliseconds) ms"
            } else {
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
                reason = failure == 0 ? nil : "tcp \(endpoint): \(String(cString: strerror(failure)))"
            }
            if let reason {
                close(fd)
                return .failed(.unreachable(reason))
            }
        }
        return .connected(fd)
    }

    /// An X-Ray daemon answers `200` with a `SamplingRuleRecords` list.
    static func classify(_ response: [UInt8], endpoint: Endpoint) -> Finding {
        let text = String(decoding: response, as: UTF8.self)
        guard let statusLine = text.split(separator: "\r\n", maxSplits: 1).first, statusLine.hasPrefix("HTTP/") else {
            return .notXRay("tcp \(endpoint) answered, but not over HTTP")
        }
        if statusLine.split(separator: " ").dropFirst().first == "200", text.contains("\"SamplingRuleRecords\"") {
            return .xrayDaemon
        }
        return .notXRay("tcp \(endpoint) answered \(statusLine.prefix(80)) to GetSamplingRules")
    }
}
