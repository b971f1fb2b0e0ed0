import XRayWire

/// The segment name and namespace, first match wins (`segment.go` `MakeSegment`): X-Ray names are services,
/// OTel span names are operations, so a service-like attribute is preferred to the span name.
enum NameTable {
    static func make(_ span: OTLPSpan, _ attributes: SpanAttributes, resource: SpanAttributes) -> (name: String, namespace: String?) {
        var name = ""
        var namespace: String?
        if span.kind == .server, let s = attributes.string(AttributeKey.awsLocalService) { name = s }
        if span.kind == .internal, attributes.string(AttributeKey.awsSpanKind) == "LOCAL_ROOT",
            let s = attributes.string(AttributeKey.awsLocalService)
        {
            name = s
        }
        switch span.kind {
        case .client, .producer, .consumer:
            if let s = attributes.string(AttributeKey.awsRemoteService) { name = trimAWSSDKPrefix(s, attributes) }
        default: break
        }
        if name.isEmpty, let s = attributes.string("peer.service") { name = s }
        if attributes.string("rpc.system") == "aws-api" { namespace = "aws" }
        if name.isEmpty, let s = attributes.string("aws.service") {
            name = s
            if namespace == nil { namespace = "aws" }
        }
        if name.isEmpty, let db = attributes.string("db.name") {
            name = db
            if let connection = attributes.string("db.connection_string"),
                let host = URLParts.host(of: connection.hasPrefix("jdbc:") ? String(connection.dropFirst(5)) : connection),
                !host.isEmpty
            {
                name += "@" + host
            }
        }
        if name.isEmpty, span.kind == .server, let s = resource.string("service.name") { name = s }
        if name.isEmpty, let s = attributes.string("rpc.service") { name = s }
        if name.isEmpty, let s = attributes.string("http.host") { name = s }
        if name.isEmpty, let s = attributes.string("net.peer.name") { name = s }
        if name.isEmpty { name = fixSegmentName(span.name) }
        if namespace == nil, span.kind == .client { namespace = "remote" }
        return (name, namespace)
    }

    /// Keeps what X-Ray allows in a name (Unicode letters, digits, space and `_.:/%&#=+\-@`), cut to 200
    /// characters; `span` when nothing is left. The Collector cuts at 200 bytes, which can split a UTF-8
    /// sequence; this cuts at 200 Unicode scalars.
    static func fixSegmentName(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for s in name.unicodeScalars where isAllowed(s) {
            scalars.append(s)
            if scalars.count == 200 { break }
        }
        return scalars.isEmpty ? "span" : String(scalars)
    }

    static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case " ", "_", ".", ":", "/", "%", "&", "#", "=", "+", "-", "@", "N", "0"..."9": return true
        default:
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
            default: return false
            }
        }
    }
}

/// Small URL helpers: no Foundation, only what the tables need.
enum URLParts {
    /// The host of `scheme://[user@]host[:port]/…` (Go's `url.Parse(...).Hostname()`), or nil without `://`.
    static func host(of url: String) -> String? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        var authority = url[schemeEnd.upperBound...]
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { authority = authority[..<end] }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":") { authority = authority[..<colon] }
        return String(authority)
    }

    /// Whether `text` is an IPv4 or IPv6 address (for `client.address`, which may also be a host name).
    static func isIPAddress(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && (UInt8(p) != nil) }) {
            return true
        }
        let v6 = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        return v6.contains(":") && v6.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}
