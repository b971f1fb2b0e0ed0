/// A reader of the protobuf binary wire format (protobuf.dev, "Encoding"), over a byte range of one message.
///
/// Every read checks the bounds of its own message, so a length that points past the end, a varint without a
/// last byte or a field of the wrong wire type is a typed error at a byte offset, never a trap.
struct ProtobufReader {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    struct Tag {
        var field: UInt64
        var wireType: WireType
        /// Where the tag starts, for errors.
        var offset: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var index: Int
    let end: Int

    init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { index >= end }

    mutating func readVarint() throws(OTLPDecodingError) -> UInt64 {
        let start = index
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < end, shift < 70 {
            let b = bytes[index]
            index += 1
            // The 10th byte may only carry the top bit of a 64-bit value; more is ignored, as protobuf-go does.
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
        throw .malformedVarint(offset: start)
    }

    mutating func readTag() throws(OTLPDecodingError) -> Tag {
        let offset = index
        let key = try readVarint()
        let raw = UInt8(key & 7)
        guard let wireType = WireType(rawValue: raw) else { throw .unsupportedWireType(offset: offset, wireType: raw) }
        let field = key >> 3
        guard field != 0 else { throw .invalidFieldNumber(offset: offset) }
        return Tag(field: field, wireType: wireType, offset: offset)
    }

    mutating func expect(_ tag: Tag, _ wireType: WireType, _ field: String) throws(OTLPDecodingError) {
        guard tag.wireType == wireType else {
            throw .wrongWireType(offset: tag.offset, field: field, wireType: tag.wireType.rawValue, expected: wireType.rawValue)
        }
    }

    mutating func readFixed64(_ field: String) throws(OTLPDecodingError) -> UInt64 {
        guard end - index >= 8 else { throw .truncated(offset: index, field: field, needed: 8, available: end - index) }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[index + k]) << (8 * UInt64(k)) }
        index += 8
        return v
    }

    mutating func readFixed32(_ field: String) throws(OTLPDecodingError) -> UInt32 {
        guard end - index >= 4 else { throw .truncated(offset: index, field: field, needed: 4, available: end - index) }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[index + k]) << (8 * UInt32(k)) }
        index += 4
        return v
    }

    /// Reads a length prefix and returns the range it covers, leaving the reader after it.
    mutating func readLengthDelimited(_ field: String) throws(OTLPDecodingError) -> Range<Int> {
        let length = try readVarint()
        let available = end - index
        guard length <= UInt64(available) else {
            throw .truncated(offset: index, field: field, needed: length, available: available)
        }
        let range = index..<(index + Int(length))
        index = range.upperBound
        return range
    }

    mutating func skip(_ tag: Tag) throws(OTLPDecodingError) {
        switch tag.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64("field \(tag.field)")
        case .fixed32: _ = try readFixed32("field \(tag.field)")
        case .lengthDelimited: _ = try readLengthDelimited("field \(tag.field)")
        }
    }

    // Typed field readers: each checks the wire type against the declared one.

    mutating func message(_ tag: Tag, _ field: String) throws(OTLPDecodingError) -> ProtobufReader {
        try expect(tag, .lengthDelimited, field)
        return ProtobufReader(bytes: bytes, range: try readLengthDelimited(field))
    }

    mutating func bytesField(_ tag: Tag, _ field: String) throws(OTLPDecodingError) -> [UInt8] {
        try expect(tag, .lengthDelimited, field)
        let range = try readLengthDelimited(field)
        return Array(bytes[range])
    }

    /// proto3 strings must be UTF-8; a bad sequence becomes U+FFFD rather than costing the whole request.
    mutating func string(_ tag: Tag, _ field: String) throws(OTLPDecodingError) -> String {
        try expect(tag, .lengthDelimited, field)
        let range = try readLengthDelimited(field)
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    mutating func varint(_ tag: Tag, _ field: String) throws(OTLPDecodingError) -> UInt64 {
        try expect(tag, .varint, field)
        return try readVarint()
    }

    mutating func uint32(_ tag: Tag, _ field: String) throws(OTLPDecodingError) -> UInt32 {
        UInt32(truncatingIfNeeded: try varint(tag, field))
    }

    /// An `enum` or `int32`: negative values travel as 10-byte varints.
    mutating func int32(_ tag: Tag, _ field: String) throws(OTLPDecodingError) -> Int32 {
        Int32(truncatingIfNeeded: try varint(tag, field))
    }

    mutating func fixed64(_ tag: Tag, _ field: String) throws(OTLPDecodingError) -> UInt64 {
        try expect(tag, .fixed64, field)
        return try readFixed64(field)
    }

    mutating func fixed32(_ tag: Tag, _ field: String) throws(OTLPDecodingError) -> UInt32 {
        try expect(tag, .fixed32, field)
        return try readFixed32(field)
    }
}
