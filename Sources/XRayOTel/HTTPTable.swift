import XRayWire

/// The `http` block from old (v1.12) and new (v1.27) HTTP semantic-convention names (`http.go` `makeHTTP`).
///
/// Two Collector quirks are fixed here, on purpose:
/// - The Collector puts `url.query` in the path slot, so a server span with `url.path=/a` and `url.query=q=1`
///   gets the URL `…/q=1`; here the path is `url.path`, then `?` and the query: `…/a?q=1`.
/// - With new names Python's Flask sends `server.address=127.0.0.1:5077` and `server.port=5077`, and the Collector
///   writes `http://127.0.0.1:5077:5077/…`; here a host that already ends in `:<port>` gets no second port.
enum HTTPTable {
    /// The keys this table reads; they leave metadata only when the `http` block is written.
    static let keys: Set<String> = [
        "http.method", "http.request.method", "http.client_ip", "client.address", "network.peer.address",
        "http.user_agent", "user_agent.original", "http.status_code", "http.response.status_code", "http.url",
        "url.full", "http.scheme", "url.scheme", "http.host", "http.target", "url.path", "url.query",
        "http.server_name", "net.host.name", "host.name", "server.address", "net.host.port", "server.port",
        "net.peer.name", "net.peer.port", "net.peer.ip",
    ]

    /// Keys whose presence alone makes an `http` block (the Collector's `hasHTTP`).
    static let httpKeys: Set<String> = [
        "http.method", "http.request.method", "http.client_ip", "http.user_agent", "user_agent.original",
        "http.status_code", "http.response.status_code", "http.url", "url.full", "http.scheme", "url.scheme",
        "http.host", "http.target", "url.path", "url.query", "http.server_name", "net.host.port",
    ]

    static func make(_ span: OTLPSpan, _ attributes: inout SpanAttributes) -> JSONObject? {
        let a = attributes
        guard a.list.contains(where: { httpKeys.contains($0.key) }) else { return nil }

        var request = JSONObject()
        if let method = a.string("http.method") ?? a.string("http.request.method") { request["method"] = .string(method) }

        let peerIP = a.string("net.peer.ip") ?? a.string("network.peer.address").flatMap { URLParts.isIPAddress($0) ? $0 : nil }
        if let forwarded = a.string("http.client_ip") ?? a.string("client.address").flatMap({ URLParts.isIPAddress($0) ? $0 : nil }) {
            request["client_ip"] = .string(forwarded)
            if peerIP == nil { request["x_forwarded_for"] = .bool(true) }
        } else if let peerIP {
            request["client_ip"] = .string(peerIP)
        }
        if let agent = a.string("http.user_agent") ?? a.string("user_agent.original") { request["user_agent"] = .string(agent) }
        if let url = makeURL(span.kind, a) { request["url"] = .string(url) }

        var response = JSONObject()
        if let status = (a.get("http.status_code") ?? a.get("http.response.status_code"))?.integer {
            response["status"] = .number(JSONNumber(text: String(status)))
        }
        if let size = contentLength(span) { response["content_length"] = .number(JSONNumber(text: String(size))) }

        attributes.remove(keys)
        var http = JSONObject()
        if !request.isEmpty { http["request"] = .object(request) }
        if !response.isEmpty { http["response"] = .object(response) }
        return http
    }

    static func makeURL(_ kind: OTLPSpanKind, _ a: SpanAttributes) -> String? {
        if let full = a.string("http.url") ?? a.string("url.full") { return full }
        let host: String?
        let port: String?
        if kind == .server {
            if let h = a.string("http.host") {
                host = h
                port = nil
            } else {
                host = a.string("http.server_name") ?? a.string("net.host.name") ?? a.string("host.name") ?? a.string("server.address")
                port = (a.get("net.host.port") ?? a.get("server.port"))?.portText
            }
        } else {
            if let h = a.string("http.host") {
                host = h
                port = nil
            } else {
                host = a.string("net.peer.name") ?? a.string("server.address") ?? a.string("net.peer.ip")
                port = (a.get("net.peer.port") ?? a.get("server.port"))?.portText
            }
        }
        guard let host, !host.isEmpty else { return nil }
        let scheme = a.string("http.scheme") ?? a.string("url.scheme") ?? "http"
        var url = scheme + "://" + host
        if let port, !port.isEmpty, !(scheme == "http" && port == "80"), !(scheme == "https" && port == "443"),
            !host.hasSuffix(":" + port)
        {
            url += ":" + port
        }
        if let target = a.string("http.target") {
            url += target
        } else if let path = a.string("url.path") {
            url += path
            if let query = a.string("url.query"), !query.isEmpty { url += "?" + query }
        } else if let query = a.string("url.query"), !query.isEmpty {
            url += "/?" + query
        } else {
            url += "/"
        }
        return url
    }

    /// `messaging.message.payload_size_bytes` on the span or an event with `message.type=RECEIVED`
    /// (`extractResponseSizeFromEvents`). Written only when known: the Collector writes 0 otherwise.
    static func contentLength(_ span: OTLPSpan) -> Int64? {
        func size(_ attributes: [OTLPKeyValue]) -> Int64? {
            let a = SpanAttributes(attributes)
            guard a.string("message.type") == "RECEIVED", let n = a.get("messaging.message.payload_size_bytes")?.integer, n != 0 else {
                return nil
            }
            return n
        }
        if let n = size(span.attributes) { return n }
        for event in span.events { if let n = size(event.attributes) { return n } }
        return nil
    }
}

extension OTLPAnyValue {
    fileprivate var portText: String? {
        switch self {
        case .int(let i): String(i)
        case .string(let s): s
        default: nil
        }
    }
}
