/// Why bytes are not an OTLP trace export. Each case says where: a byte offset for protobuf, a JSON path for JSON.
public enum OTLPDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A varint ran past the end of its message or past 10 bytes.
    case malformedVarint(offset: Int)
    /// A length-delimited or fixed-size field claims more bytes than its message has left.
    case truncated(offset: Int, field: String, needed: UInt64, available: Int)
    /// Wire types 3 and 4 (groups, unused since proto3) or 6 and 7 (undefined).
    case unsupportedWireType(offset: Int, wireType: UInt8)
    /// A known field arrived with another wire type than its declared type has.
    case wrongWireType(offset: Int, field: String, wireType: UInt8, expected: UInt8)
    /// Field number 0 is never valid.
    case invalidFieldNumber(offset: Int)
    /// `AnyValue` arrays and key-value lists nested deeper than the limit.
    case tooDeep(offset: Int, limit: Int)
    /// The input is larger than the decoder is allowed to read.
    case tooLarge(size: Int, limit: Int)
    /// OTLP/JSON that is not JSON.
    case jsonSyntax(String)
    /// An OTLP/JSON member of the wrong JSON type or with an impossible value.
    case jsonValue(path: String, message: String)

    public var description: String {
        switch self {
        case .malformedVarint(let offset):
            "byte \(offset): malformed varint (runs past the end or past 10 bytes)"
        case .truncated(let offset, let field, let needed, let available):
            "byte \(offset): \(field) needs \(needed) bytes but only \(available) remain"
        case .unsupportedWireType(let offset, let wireType):
            "byte \(offset): wire type \(wireType) is not used by OTLP (only 0, 1, 2 and 5 are)"
        case .wrongWireType(let offset, let field, let wireType, let expected):
            "byte \(offset): \(field) has wire type \(wireType); expected \(expected)"
        case .invalidFieldNumber(let offset):
            "byte \(offset): field number 0 is invalid"
        case .tooDeep(let offset, let limit):
            "byte \(offset): values nested deeper than \(limit) levels"
        case .tooLarge(let size, let limit):
            "\(size) bytes is more than the limit of \(limit)"
        case .jsonSyntax(let message):
            "not JSON: \(message)"
        case .jsonValue(let path, let message):
            "\(path): \(message)"
        }
    }
}

/// Bounds on what one decode may cost.
public struct OTLPDecodingLimits: Sendable, Hashable {
    /// The largest input accepted; the OTLP specification recommends servers cap bodies at 64 MiB.
    public var maxBytes: Int
    /// How deep `AnyValue` arrays and key-value lists may nest.
    public var maxDepth: Int

    public init(maxBytes: Int = 64 << 20, maxDepth: Int = 64) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }
}
