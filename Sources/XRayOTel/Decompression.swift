internal import CZlib

/// Inflates OTLP/HTTP bodies sent with `Content-Encoding: gzip` or `deflate` through the system zlib, with a cap
/// on the output: the OTLP specification requires servers to bound bodies after decompression too, so a
/// gzip bomb stops at the cap instead of filling memory.
public enum Decompression {
    /// The output cap unless the caller gives one.
    public static let defaultLimit = 4 << 20

    public enum Encoding: Sendable, Hashable {
        /// RFC 1952; concatenated members are read one after the other, as `gzip -d` does.
        case gzip
        /// HTTP's `deflate`: a zlib stream (RFC 1950), or a raw deflate stream (RFC 1951) from senders that skip
        /// the zlib header.
        case deflate
    }

    public enum DecompressionError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The output would pass `limit` bytes.
        case tooLarge(limit: Int)
        /// zlib found invalid data at this input offset.
        case corrupt(offset: Int, message: String)
        /// The input ends before the compressed stream does.
        case truncated(offset: Int)
        /// Bytes after the end of the compressed stream.
        case trailingData(offset: Int)

        public var description: String {
            switch self {
            case .tooLarge(let limit): "decompressed body is larger than \(limit) bytes"
            case .corrupt(let offset, let message): "byte \(offset): corrupt compressed data (\(message))"
            case .truncated(let offset): "byte \(offset): compressed data ends early"
            case .trailingData(let offset): "byte \(offset): data after the end of the compressed stream"
            }
        }
    }

    /// - Throws: `DecompressionError` naming the input offset, or `.tooLarge` once the output passes `limit`.
    public static func decompress(_ input: [UInt8], encoding: Encoding, limit: Int = defaultLimit) throws(DecompressionError) -> [UInt8] {
        switch encoding {
        case .gzip:
            return try inflate(input, windowBits: 15 + 16, limit: limit, members: true)
        case .deflate:
            // A zlib header's first byte has compression method 8 in its low nibble and a check over two bytes.
            let isZlib = input.count >= 2 && input[0] & 0x0F == 8 && (UInt16(input[0]) << 8 | UInt16(input[1])) % 31 == 0
            return try inflate(input, windowBits: isZlib ? 15 : -15, limit: limit, members: false)
        }
    }

    static func inflate(_ input: [UInt8], windowBits: Int32, limit: Int, members: Bool) throws(DecompressionError) -> [UInt8] {
        var stream = z_stream()
        guard xr_inflate_init(&stream, windowBits) == Z_OK else { throw .corrupt(offset: 0, message: "zlib could not start") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let result: Result<[UInt8], DecompressionError> = input.withUnsafeBufferPointer { inBuffer in
            guard let base = inBuffer.baseAddress, !inBuffer.isEmpty else { return .success([]) }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = UInt32(inBuffer.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return zlibInflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                let offset = inBuffer.count - Int(stream.avail_in)
                if output.count + produced > limit { return .failure(.tooLarge(limit: limit)) }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    guard stream.avail_in > 0 else { return .success(output) }
                    guard members else { return .failure(.trailingData(offset: offset)) }
                    guard inflateReset(&stream) == Z_OK else { return .failure(.corrupt(offset: offset, message: "reset failed")) }
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 { return .failure(.truncated(offset: offset)) }
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    return .failure(.corrupt(offset: offset, message: message))
                }
            }
        }
        return try result.get()
    }
}

/// zlib's `inflate`, named apart from `Decompression.inflate`.
private func zlibInflate(_ stream: UnsafeMutablePointer<z_stream>, _ flush: Int32) -> Int32 {
    CZlib.inflate(stream, flush)
}
