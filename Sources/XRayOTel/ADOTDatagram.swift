import XRayWire

/// The bodies ADOT sends to the daemon port besides segment JSON: `T1S`/`T1U` + base64 of a protobuf
/// `ExportTraceServiceRequest` (sampled / unsampled spans) and `M1` + base64 metrics (aws-opentelemetry-distro
/// `otlp_udp_exporter.py`; the same prefixes in ADOT JS, Java and Go).
///
/// The caller strips the `{"format":"json","version":1}` header first (`DaemonDatagram.bodyRange`).
public enum ADOTDatagramBody: Sendable, Hashable {
    /// An X-Ray segment document: the body starts with `{`.
    case segment
    /// Spans; `sampled` is false for `T1U`, which ADOT sends only with Application Signals on Lambda.
    case traces(OTLPRequest, sampled: Bool)
    /// OTLP metrics, which X-Ray does not keep: to be counted and dropped.
    case metrics(byteCount: Int)

    public enum ClassificationError: Error, Sendable, Hashable, CustomStringConvertible {
        /// Neither `{` nor a known prefix.
        case unknownPrefix(String)
        case base64(Base64.DecodingError)
        case protobuf(OTLPDecodingError)

        public var description: String {
            switch self {
            case .unknownPrefix(let p): "body starts with \"\(p)\"; expected a segment document ({), T1S, T1U or M1"
            case .base64(let e): "T1S/T1U payload is not base64: \(e)"
            case .protobuf(let e): "T1S/T1U payload is not an OTLP trace export: \(e)"
            }
        }
    }

    /// Tells the body apart by its first bytes and decodes the spans of `T1S`/`T1U`.
    /// - Parameter offset: where `body` starts in the datagram, so errors name datagram bytes.
    public static func classify(
        _ body: some Collection<UInt8>, offset: Int = 0,
        limits: OTLPDecodingLimits = OTLPDecodingLimits()
    ) throws(ClassificationError) -> ADOTDatagramBody {
        let bytes = Array(body)
        if bytes.first == UInt8(ascii: "{") { return .segment }
        func hasPrefix(_ p: String) -> Bool { bytes.starts(with: p.utf8) }
        let sampled: Bool
        if hasPrefix("T1S") {
            sampled = true
        } else if hasPrefix("T1U") {
            sampled = false
        } else if hasPrefix("M1") {
            return .metrics(byteCount: bytes.count - 2)
        } else {
            let shown = String(decoding: bytes.prefix(8).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            throw .unknownPrefix(shown)
        }
        let payload: [UInt8]
        do {
            payload = try Base64.decode(bytes[3...], offset: offset + 3)
        } catch {
            throw .base64(error)
        }
        do {
            return .traces(try OTLPProtobufDecoder.decode(payload, limits: limits), sampled: sampled)
        } catch {
            throw .protobuf(error)
        }
    }
}

/// `ExportTraceServiceResponse` and `google.rpc.Status` bodies for OTLP/HTTP answers (OTLP specification,
/// "OTLP/HTTP Response": the same encoding as the request; `partial_success` unset on full success).
public enum OTLPResponse {
    /// Spans not accepted and why; `rejectedSpans` 0 with a message is a warning.
    public struct PartialSuccess: Sendable, Hashable {
        public var rejectedSpans: Int64
        public var errorMessage: String

        public init(rejectedSpans: Int64, errorMessage: String) {
            self.rejectedSpans = rejectedSpans
            self.errorMessage = errorMessage
        }
    }

    /// Protobuf: empty on full success.
    public static func protobuf(_ partial: PartialSuccess? = nil) -> [UInt8] {
        guard let partial else { return [] }
        var w = ProtobufWriter()
        w.messageField(1) { w in
            w.varintField(1, UInt64(bitPattern: partial.rejectedSpans))
            w.stringField(2, partial.errorMessage)
        }
        return w.bytes
    }

    /// JSON: `{}` on full success.
    public static func json(_ partial: PartialSuccess? = nil) -> [UInt8] {
        guard let partial else { return Array("{}".utf8) }
        var inner = ""
        if partial.rejectedSpans != 0 { inner += "\"rejectedSpans\":\"\(partial.rejectedSpans)\"" }
        if !partial.errorMessage.isEmpty {
            if !inner.isEmpty { inner += "," }
            inner += "\"errorMessage\":"
            JSONWriter.writeString(partial.errorMessage, into: &inner)
        }
        return Array("{\"partialSuccess\":{\(inner)}}".utf8)
    }

    /// A `google.rpc.Status` with only `message` (field 2), for 400 answers in protobuf.
    public static func statusProtobuf(message: String) -> [UInt8] {
        var w = ProtobufWriter()
        w.stringField(2, message)
        return w.bytes
    }

    /// A `google.rpc.Status` with only `message`, in JSON.
    public static func statusJSON(message: String) -> [UInt8] {
        var out = "{\"message\":"
        JSONWriter.writeString(message, into: &out)
        return Array((out + "}").utf8)
    }
}
