/// Which HTTP requests the X-Ray API answers: only those a local SDK, the AWS CLI or a tool would send,
/// never those a web page in the user's browser can make.
///
/// The SDK pollers and botocore send no credentials to the daemon, so the socket itself is the only guard.
/// A page the user visits can still reach a loopback port: by a "simple" cross-origin POST (`text/plain`
/// or form bodies need no CORS preflight, so the request is sent even if the answer cannot be read), or
/// by DNS rebinding (its own name re-pointed at 127.0.0.1, so the browser treats the answer as same-origin).
/// Three checks close those paths (Fetch standard, "CORS-safelisted request-header"; RFC 9110 7.2 `Host`):
///
/// - `Host` must name the address served: its IP literal or name, or `localhost`, with or without the
///   bound port. A rebound name never matches.
/// - A request carrying `Origin` (browsers add it to every cross-origin and every POST request) is
///   refused unless that origin was allowed with `--allow-origin`, or is the server's own origin
///   (`http://` + a served host + the bound port): the console's pages post from there, and only a page
///   this server sent can carry it, since a rebound name would appear in the origin instead.
/// - A request with a body must declare a JSON media type (or, on the OTLP paths, `application/x-protobuf`),
///   which a browser cannot send cross-origin without a preflight that this server never approves for an
///   origin it was not told to allow.
///
/// Any local user can still reach the port: this keeps browsers out, not other accounts on the machine.
public struct RequestPolicy: Sendable, Hashable {
    /// Origins (`scheme://host[:port]`, lower-cased) whose requests are served, with CORS headers naming them.
    public var allowedOrigins: Set<String>

    public init(allowedOrigins: [String] = []) {
        self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
    }

    /// Media types the SDK pollers, botocore (the AWS CLI, boto3) and the other AWS SDKs send.
    static let jsonMediaTypes: Set<String> = ["application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1"]

    /// Checks one `--allow-origin` value: `http://host[:port]` or `https://host[:port]`, nothing after.
    ///
    /// - Throws: `RequestPolicyError.invalidOrigin` saying what is wrong.
    public static func validate(origin: String) throws(RequestPolicyError) {
        let lower = origin.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else {
            throw .invalidOrigin(origin, reason: "an origin starts with http:// or https://")
        }
        let authority = lower.dropFirst(scheme.count)
        guard !authority.isEmpty else { throw .invalidOrigin(origin, reason: "the host is empty") }
        guard !authority.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == " " || $0 == "*" }) else {
            throw .invalidOrigin(origin, reason: "an origin is scheme://host[:port] only, with no path, wildcard or trailing slash")
        }
    }

    /// Why a request is refused, as the response to send; nil when it may be served.
    ///
    /// - Parameters:
    ///   - servedHosts: lower-cased names and IP literals of the listening address (the configured host and
    ///     the connection's local IP), `localhost` included by the caller.
    ///   - port: the bound TCP port.
    func refusal(_ request: HTTPRequest, servedHosts: Set<String>, port: Int, bodyLength: Int) -> HTTPResponse? {
        // The parser reads bodies up to the OTLP limit; the X-Ray operations keep their 1 MiB.
        let isOTLP = OTLPIntake.Signal(path: request.path) != nil
        if !isOTLP, bodyLength > HTTPRequestParser.defaultMaxBody {
            return .error(413, "RequestEntityTooLarge", "request body of \(bodyLength) bytes is over the 1 MiB limit", close: true)
        }
        guard let host = request.header("host") else {
            return .error(400, "BadRequest", "the request has no Host header; HTTP/1.1 requires one", close: true)
        }
        guard Self.hostMatches(host.lowercased(), servedHosts: servedHosts, port: port) else {
            return .error(
                403, "AccessDeniedException",
                "Host \"\(host)\" does not name this daemon's address; only local clients may use it", close: true)
        }
        if let origin = request.header("origin"), !allowedOrigins.contains(origin.lowercased()),
            !Self.isSameOrigin(origin.lowercased(), servedHosts: servedHosts, port: port)
        {
            return .error(
                403, "AccessDeniedException",
                "requests from the web origin \"\(origin)\" are refused; start the daemon with --allow-origin \(origin) to allow it",
                close: true)
        }
        if bodyLength > 0 {
            let type = request.header("content-type") ?? ""
            let media = (type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces } ?? "").lowercased()
            // OTLP/HTTP sends protobuf, which a browser cannot send cross-origin without a preflight either.
            if isOTLP, media == "application/x-protobuf" || media == "application/json" { return nil }
            if isOTLP {
                var response = HTTPResponse(
                    status: 415, body: Array("Content-Type \"\(type)\" is not an OTLP encoding; send application/x-protobuf or application/json\n".utf8),
                    close: true)
                response.contentType = "text/plain"
                return response
            }
            guard Self.jsonMediaTypes.contains(media) else {
                return .error(
                    415, "UnsupportedMediaTypeException",
                    type.isEmpty
                        ? "the request body has no Content-Type; send application/json"
                        : "Content-Type \"\(type)\" is not JSON; send application/json", close: true)
            }
        }
        return nil
    }

    /// The CORS headers for a served request from an allowed origin: that origin only, never `*`.
    func corsHeaders(_ request: HTTPRequest) -> [(name: String, value: String)] {
        guard let origin = request.header("origin"), allowedOrigins.contains(origin.lowercased()) else { return [] }
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    }

    /// The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin.
    func preflight(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.method == "OPTIONS", request.header("access-control-request-method") != nil,
            let origin = request.header("origin"), allowedOrigins.contains(origin.lowercased())
        else { return nil }
        var response = HTTPResponse(status: 204, body: [])
        response.headers = [
            ("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
            ("Access-Control-Allow-Methods", "POST"), ("Access-Control-Allow-Headers", "content-type"),
            ("Access-Control-Max-Age", "600"),
        ]
        return response
    }

    /// `http://host:port` naming a served host and the bound port explicitly, as a browser writes the origin
    /// of a page it loaded from this server (RFC 6454 section 6.1 omits only the scheme's default port).
    static func isSameOrigin(_ origin: String, servedHosts: Set<String>, port: Int) -> Bool {
        guard origin.hasPrefix("http://") else { return false }
        let authority = String(origin.dropFirst("http://".count))
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        return (hasPort || port == 80) && hostMatches(authority, servedHosts: servedHosts, port: port)
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`, where host is served and port (if given) is the bound one.
    static func hostMatches(_ value: String, servedHosts: Set<String>, port: Int) -> Bool {
        var name = Substring(value)
        var portText: Substring?
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return false }
            let rest = name[name.index(after: close)...]
            name = name[...close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return false }
                portText = rest.dropFirst()
            }
        } else if let colon = name.lastIndex(of: ":") {
            portText = name[name.index(after: colon)...]
            name = name[..<colon]
        }
        if let portText, Int(portText) != port { return false }
        return servedHosts.contains(String(name))
    }
}

/// A `--allow-origin` value that is not a web origin.
public enum RequestPolicyError: Error, Sendable, CustomStringConvertible {
    case invalidOrigin(String, reason: String)

    public var description: String {
        switch self {
        case .invalidOrigin(let value, let reason):
            "invalid origin \"\(value)\": \(reason); write it as the browser sends it, such as http://localhost:3000"
        }
    }
}
