/// Standard base64 (RFC 4648 §4), as ADOT's UDP exporter writes it (`base64.b64encode`) and OTLP/JSON uses for
/// `bytesValue`. No Foundation.
public enum Base64 {
    /// Why text is not base64: the byte offset and the byte found there.
    public enum DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        case invalidByte(offset: Int, byte: UInt8)
        /// The length leaves a lone 6-bit group (`4n + 1` characters), which no encoder writes.
        case truncated(length: Int)
        case misplacedPadding(offset: Int)

        public var description: String {
            switch self {
            case .invalidByte(let offset, let byte):
                "byte \(offset): 0x\(String(byte, radix: 16)) is not a base64 character"
            case .truncated(let length):
                "\(length) base64 characters cannot end a value (one character too many or too few)"
            case .misplacedPadding(let offset):
                "byte \(offset): '=' padding in the middle of base64 text"
            }
        }
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] as [UInt32] { out.append(alphabet[Int(n >> shift & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded or unpadded standard base64; `offset` is added to error positions, so errors can name the
    /// byte of the enclosing datagram.
    public static func decode(_ text: some Collection<UInt8>, offset: Int = 0) throws(DecodingError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var acc: UInt32 = 0
        var bits = 0
        var count = 0
        var padding = 0
        for (i, b) in text.enumerated() {
            let v: UInt32
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(b - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(b - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(b - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: throw .invalidByte(offset: offset + i, byte: b)
            }
            if padding > 0 { throw .misplacedPadding(offset: offset + i - padding) }
            acc = acc << 6 | v
            bits += 6
            count += 1
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        if count % 4 == 1 { throw .truncated(length: count) }
        if padding > 0, (count + padding) % 4 != 0 || padding > 2 { throw .truncated(length: count + padding) }
        return out
    }
}
