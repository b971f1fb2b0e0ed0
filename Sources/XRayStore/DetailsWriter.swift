import XRayWire

/// Compact JSON written straight into bytes, the same bytes `JSONWriter` writes for the same value: the
/// details of every trace are written on the single writer thread, where building `JSONValue` trees and
/// appending to `String`s cost as much as the SQLite writes themselves.
struct DetailsWriter {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(2048) }

    mutating func raw(_ s: StaticString) { bytes.append(literal: s) }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func key(_ s: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(s)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    /// A string as `JSONWriter.writeString` escapes it.
    mutating func string(_ s: String) { JSONBytes.string(s, into: &bytes) }

    /// A number as `JSONWriter` writes a `JSONNumber`: its text, or `null` for one that is not JSON.
    mutating func number(_ n: JSONNumber) { JSONBytes.number(n, into: &bytes) }

    mutating func bool(_ b: Bool) { JSONBytes.bool(b, into: &bytes) }

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
