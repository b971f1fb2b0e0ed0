/// A writer of the protobuf binary wire format; fields are written in field-number order and proto3 defaults
/// are left out, as protobuf's own serializers do.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func appendRaw(_ byte: UInt8) { bytes.append(byte) }

    mutating func tag(_ field: UInt64, _ wireType: ProtobufReader.WireType) {
        varint(field << 3 | UInt64(wireType.rawValue))
    }

    mutating func varintField(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(value)
    }

    mutating func int32Field(_ field: UInt64, _ value: Int32) {
        varintField(field, UInt64(bitPattern: Int64(value)))
    }

    mutating func fixed64Field(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .fixed64)
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))) }
    }

    mutating func fixed32Field(_ field: UInt64, _ value: UInt32) {
        guard value != 0 else { return }
        tag(field, .fixed32)
        for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(k)))) }
    }

    mutating func bytesField(_ field: UInt64, _ value: [UInt8], always: Bool = false) {
        guard always || !value.isEmpty else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func stringField(_ field: UInt64, _ value: String, always: Bool = false) {
        bytesField(field, Array(value.utf8), always: always)
    }

    /// A nested message, always written (an empty sub-message still says "present").
    mutating func messageField(_ field: UInt64, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytesField(field, inner.bytes, always: true)
    }
}
