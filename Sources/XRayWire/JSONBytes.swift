/// Compact JSON written as bytes, the same bytes `JSONWriter` writes for the same values, for the writers of
/// many records: the listings (`--format json`/`jsonl`, `GetTraceSummaries`) and the store's trace details.
package enum JSONBytes {
    /// A string as `JSONWriter.writeString` escapes it (quote, backslash and the controls below U+0020; Swift strings
    /// are valid UTF-8, so escaping bytes is escaping scalars).
    package static func string(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                start = i + 1
                switch b {
                case UInt8(ascii: "\""): out.append(literal: "\\\"")
                case UInt8(ascii: "\\"): out.append(literal: "\\\\")
                case UInt8(ascii: "\n"): out.append(literal: "\\n")
                case UInt8(ascii: "\r"): out.append(literal: "\\r")
                case UInt8(ascii: "\t"): out.append(literal: "\\t")
                case 0x08: out.append(literal: "\\b")
                case 0x0C: out.append(literal: "\\f")
                default:
                    out.append(literal: "\\u00")
                    out.append(hexDigits[Int(b >> 4)])
                    out.append(hexDigits[Int(b & 0xF)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A number as `JSONWriter` writes it: its text, or `null` for one no JSON reader accepts (`inf`, `nan`).
    package static func number(_ n: JSONNumber, into out: inout [UInt8]) {
        let first = n.text.utf8.first { $0 != UInt8(ascii: "-") }
        if let first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") { out.append(contentsOf: n.text.utf8) } else { out.append(literal: "null") }
    }

    package static func bool(_ b: Bool, into out: inout [UInt8]) { b ? out.append(literal: "true") : out.append(literal: "false") }

    /// Appends compact JSON (no white space outside strings) re-indented exactly as `JSONWriter.pretty` writes
    /// the same value nested `depth` levels deep: two spaces a level, `": "` after keys, empty containers as
    /// `{}` and `[]`. Strings are copied a run at a time, so the cost is in the structure, not the text.
    package static func pretty(_ compact: UnsafeRawBufferPointer, depth: Int, into out: inout [UInt8]) {
        guard let base = compact.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let bytes = UnsafeBufferPointer(start: base, count: compact.count)
        var depth = depth
        var i = 0
        func newline() {
            out.append(UInt8(ascii: "\n"))
            for _ in 0..<depth { out.append(literal: "  ") }
        }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                var end = i + 1
                while end < bytes.count {
                    let c = bytes[end]
                    if c == UInt8(ascii: "\\") {
                        end += 2
                    } else {
                        end += 1
                        if c == UInt8(ascii: "\"") { break }
                    }
                }
                end = min(end, bytes.count)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<end]))
                i = end
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = b == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                out.append(b)
                if i + 1 < bytes.count, bytes[i + 1] == close {
                    out.append(close)
                    i += 2
                    continue
                }
                depth += 1
                newline()
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                newline()
                out.append(b)
            case UInt8(ascii: ","):
                out.append(b)
                newline()
            case UInt8(ascii: ":"):
                out.append(b)
                out.append(UInt8(ascii: " "))
            default:
                out.append(b)
            }
            i += 1
        }
    }
}

extension [UInt8] {
    /// Appends a literal's UTF-8 bytes.
    package mutating func append(literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }
}
