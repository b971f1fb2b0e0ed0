import XRayWire

/// Compact JSON written straight into bytes, the same bytes `JSONWriter` writes for the same value: the
/// details of every trace are written on the single writer thread, where building `JSONValue` trees and
/// appending to `String`s cost as much as the SQLite writes themselves.
struct DetailsWriter {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(2048) }

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func key(_ s: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(s)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    /// A string as `JSONWriter.writeString` escapes it.
    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A number as `JSONWriter` writes a `JSONNumber`: its text, or `null` for one that is not JSON.
    mutating func number(_ n: JSONNumber) {
        let first = n.text.utf8.first { $0 != UInt8(ascii: "-") }
        if let first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") { raw(n.text) } else { raw("null") }
    }

    mutating func bool(_ b: Bool) { b ? raw("true") : raw("false") }

    /// `{"Name": n, "Names": [n]` without the closing brace, the shape of every service id.
    mutating func serviceHead(_ name: String) {
        raw("{\"Name\":")
        string(name)
        raw(",\"Names\":[")
        string(name)
        raw("]")
    }

    /// `[{"Name": n, "Names": [n]}, ...]`.
    mutating func serviceIDs(_ names: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, n) in names.enumerated() {
            if i > 0 { comma() }
            serviceHead(n)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}
