/// A JSON value that keeps what the sender wrote: key order, and numbers as their source text.
///
/// Segment documents are stored and re-rendered with X-Ray's own field names and values, so the model
/// must not reorder keys or round numbers (`1.478293361271E9` stays `1.478293361271E9`).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A finite number, as its source text (always valid JSON number syntax).
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let n) = self { return n.double }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The name of the JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON number kept as the text it was written with.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// Wraps text that is already valid JSON number syntax.
    public init(text: String) { self.text = text }

    public init(_ value: Double) {
        if value.rounded() == value, abs(value) < 1e15 {
            self.text = String(Int64(value))
        } else {
            self.text = "\(value)"
        }
    }

    public init(_ value: Int) { self.text = String(value) }

    public var double: Double { Double(text) ?? .nan }

    /// The value as an integer when it is written as one (`200`, not `200.5`).
    public var int: Int? {
        if let i = Int(text) { return i }
        let d = double
        if d.isFinite, d.rounded() == d, abs(d) < 9e15 { return Int(d) }
        return nil
    }

    public var description: String { text }
}

/// An object with its keys in the order they were written.
public struct JSONObject: Sendable, Hashable, Sequence {
    public var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) { self.members = members }

    public subscript(key: String) -> JSONValue? {
        get {
            for m in members where m.key == key { return m.value }
            return nil
        }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    public var keys: [String] { members.map(\.key) }
    public var isEmpty: Bool { members.isEmpty }
    public var count: Int { members.count }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for m in members {
            hasher.combine(m.key)
            hasher.combine(m.value)
        }
    }
}

/// Where a value starts in the source text; lets validators point at file:line:column.
public struct JSONPosition: Sendable, Hashable {
    /// 0-based byte offset.
    public var offset: Int
    /// 1-based line.
    public var line: Int
    /// 1-based column, in bytes.
    public var column: Int
}

/// Why a text is not JSON, with the byte position where the parser stopped.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var position: JSONPosition
    public var message: String

    public var description: String {
        "byte \(position.offset) (line \(position.line), column \(position.column)): \(message)"
    }
}

/// A key written twice in one object. The later value is kept, at the first key's place, as Python's
/// `json.load` (the SDKs' parser) and most JSON parsers do; RFC 8259 4 leaves the result unspecified.
public struct JSONDuplicateKey: Sendable, Hashable {
    public var key: String
    /// The key's path (`rules[0].version`) when positions are recorded, else the key alone.
    public var path: String
    /// 0-based byte offset of the later occurrence of the key (the one whose value was kept).
    public var offset: Int
    /// Line and column of that occurrence, when positions are recorded.
    public var position: JSONPosition?
}

/// What a lenient parse had to tolerate.
public struct JSONLeniency: Sendable, Hashable {
    /// Paths of bare `NaN`, `Infinity` or `-Infinity` values, which were turned into strings.
    public var nonFiniteNumbers: [String] = []
}

/// A JSON parser over bytes: strict RFC 8259, plus the bare `NaN`/`Infinity` that Python's `json` writes.
///
/// It validates UTF-8 inside strings (reporting the byte offset of a bad sequence) and limits nesting,
/// so hostile input costs at most its own length.
public struct JSONParser {
    /// The deepest nesting accepted; X-Ray documents nest subsegments, rarely past a few dozen levels.
    public static let maxDepth = 256

    public struct Options: Sendable {
        /// Accept bare `NaN`, `Infinity`, `-Infinity` and turn them into strings.
        public var allowNonFinite = true
        /// Record the position of every value in `positions` (costs time; for rule files).
        public var recordPositions = false
        public init(allowNonFinite: Bool = true, recordPositions: Bool = false) {
            self.allowNonFinite = allowNonFinite
            self.recordPositions = recordPositions
        }
    }

    /// The result of a parse.
    public struct Result: Sendable {
        public var value: JSONValue
        public var leniency: JSONLeniency
        /// Positions by JSON pointer-like path (`rules[0].rate`), when requested.
        public var positions: [String: JSONPosition]
        /// Every key repeated within an object, in source order; empty for nearly every input.
        public var duplicateKeys: [JSONDuplicateKey] = []
    }

    /// Parses one JSON value that makes up the whole input, surrounding white space allowed.
    public static func parse(_ bytes: some Collection<UInt8>, options: Options = Options()) throws(JSONSyntaxError) -> Result {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> Result in
            try parse(buffer: buffer, options: options)
        }
    }

    public static func parse(_ text: String, options: Options = Options()) throws(JSONSyntaxError) -> Result {
        try parse(Array(text.utf8), options: options)
    }

    public static func parse(buffer: UnsafeBufferPointer<UInt8>, options: Options = Options()) throws(JSONSyntaxError) -> Result {
        var state = State(bytes: buffer, options: options)
        state.skipWhitespace()
        let value = try state.parseValue(path: "", depth: 0)
        state.skipWhitespace()
        if state.index < buffer.count {
            throw state.error("unexpected \(state.describeCurrent()) after the end of the JSON value")
        }
        return Result(value: value, leniency: state.leniency, positions: state.positions, duplicateKeys: state.duplicateKeys)
    }

    struct State {
        let bytes: UnsafeBufferPointer<UInt8>
        let options: Options
        var index = 0
        var leniency = JSONLeniency()
        var positions: [String: JSONPosition] = [:]
        var duplicateKeys: [JSONDuplicateKey] = []
        /// Where the last recorded position was, so positions asked for in order cost one pass in all.
        private var lineCursor = (offset: 0, line: 1, lineStart: 0)

        init(bytes: UnsafeBufferPointer<UInt8>, options: Options) {
            self.bytes = bytes
            self.options = options
        }

        /// The position of `offset`, counting lines from the previous call's offset: values come in
        /// source order, so a whole file costs one pass instead of one pass per value.
        mutating func recordedPosition(at offset: Int) -> JSONPosition {
            if offset < lineCursor.offset { lineCursor = (0, 1, 0) }
            var (i, line, lineStart) = lineCursor
            let end = min(offset, bytes.count)
            while i < end {
                if bytes[i] == 0x0A {
                    line += 1
                    lineStart = i + 1
                }
                i += 1
            }
            lineCursor = (end, line, lineStart)
            return JSONPosition(offset: offset, line: line, column: offset - lineStart + 1)
        }

        func position(at offset: Int) -> JSONPosition {
            var line = 1
            var lineStart = 0
            var i = 0
            let end = min(offset, bytes.count)
            while i < end {
                if bytes[i] == 0x0A {
                    line += 1
                    lineStart = i + 1
                }
                i += 1
            }
            return JSONPosition(offset: offset, line: line, column: offset - lineStart + 1)
        }

        func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
            JSONSyntaxError(position: position(at: offset ?? index), message: message)
        }

        /// A comma before the closing bracket: Python's `json` and JavaScript accept none, and the useful place to
        /// point at is the comma itself, which may be lines above the bracket.
        func trailingComma(at offset: Int, before bracket: String) -> JSONSyntaxError {
            error("trailing comma before '\(bracket)' (JSON allows no comma after the last item)", at: offset)
        }

        func describeCurrent() -> String {
            guard index < bytes.count else { return "end of input" }
            let b = bytes[index]
            if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
            return "byte 0x\(String(b, radix: 16))"
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func parseValue(path: String, depth: Int) throws(JSONSyntaxError) -> JSONValue {
            guard index < bytes.count else { throw error("expected a value, found end of input") }
            if options.recordPositions { positions[path] = recordedPosition(at: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(path: path, depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(path: path, depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "N"):
                try expectLiteral("NaN")
                return try nonFinite("NaN", path: path)
            case UInt8(ascii: "I"):
                try expectLiteral("Infinity")
                return try nonFinite("Infinity", path: path)
            case UInt8(ascii: "-"):
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "I") {
                    index += 1
                    try expectLiteral("Infinity")
                    return try nonFinite("-Infinity", path: path)
                }
                return .number(try parseNumber())
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(try parseNumber())
            default:
                throw error("expected a value, found \(describeCurrent())")
            }
        }

        mutating func nonFinite(_ text: String, path: String) throws(JSONSyntaxError) -> JSONValue {
            guard options.allowNonFinite else {
                throw error("\(text) is not valid JSON", at: index - text.utf8.count)
            }
            leniency.nonFiniteNumbers.append(path.isEmpty ? "$" : path)
            return .string(text)
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
            let start = index
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else {
                throw error("expected '\(literal)', found end of input", at: start)
            }
            let p = literal.utf8Start
            for k in 0..<count where bytes[index + k] != p[k] {
                throw error("invalid literal; expected '\(literal)'", at: start)
            }
            index += count
        }

        mutating func parseObject(path: String, depth: Int) throws(JSONSyntaxError) -> JSONValue {
            if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth) levels") }
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            // Small objects look for a repeated key by scanning; large ones switch to a hash index, so an
            // object of many keys still costs linear time.
            var keyIndex: [String: Int]?
            var seenKeys: UInt64 = 0
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject(members))
            }
            var comma: Int?
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    if let comma, index < bytes.count, bytes[index] == UInt8(ascii: "}") { throw trailingComma(at: comma, before: "}") }
                    throw error("expected a string key, found \(describeCurrent())")
                }
                let keyOffset = index
                // Taken before the value moves the line cursor on, so a repeat costs no rescan.
                let keyPosition = options.recordPositions ? recordedPosition(at: keyOffset) : nil
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw error("expected ':' after key \"\(key)\", found \(describeCurrent())")
                }
                index += 1
                skipWhitespace()
                let childPath = options.recordPositions ? (path.isEmpty ? key : path + "." + key) : ""
                let value = try parseValue(path: childPath, depth: depth)
                let earlier: Int?
                if let keyIndex {
                    earlier = keyIndex[key]
                } else {
                    // A 64-bit filter of (length, first byte) seen so far: a key that cannot be a repeat skips the scan.
                    let utf8 = key.utf8
                    let bit: UInt64 = 1 << UInt64((utf8.count &* 7 &+ Int(utf8.first ?? 0)) & 63)
                    earlier = seenKeys & bit == 0 ? nil : members.firstIndex { $0.key == key }
                    seenKeys |= bit
                }
                if let earlier {
                    members[earlier].value = value
                    duplicateKeys.append(
                        JSONDuplicateKey(
                            key: key, path: options.recordPositions ? childPath : key, offset: keyOffset,
                            position: keyPosition))
                } else {
                    members.append((key, value))
                    if keyIndex != nil {
                        keyIndex?[key] = members.count - 1
                    } else if members.count == 16 {
                        var built: [String: Int] = [:]
                        for (position, member) in members.enumerated() { built[member.key] = position }
                        keyIndex = built
                    }
                }
                skipWhitespace()
                guard index < bytes.count else { throw error("expected ',' or '}', found end of input") }
                if bytes[index] == UInt8(ascii: ",") {
                    comma = index
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(JSONObject(members))
                }
                throw error("expected ',' or '}', found \(describeCurrent())")
            }
        }

        mutating func parseArray(path: String, depth: Int) throws(JSONSyntaxError) -> JSONValue {
            if depth > JSONParser.maxDepth { throw error("nesting deeper than \(JSONParser.maxDepth) levels") }
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            var comma: Int?
            while true {
                skipWhitespace()
                if let comma, index < bytes.count, bytes[index] == UInt8(ascii: "]") { throw trailingComma(at: comma, before: "]") }
                let childPath = options.recordPositions ? "\(path)[\(elements.count)]" : ""
                elements.append(try parseValue(path: childPath, depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw error("expected ',' or ']', found end of input") }
                if bytes[index] == UInt8(ascii: ",") {
                    comma = index
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                }
                throw error("expected ',' or ']', found \(describeCurrent())")
            }
        }

        mutating func parseNumber() throws(JSONSyntaxError) -> JSONNumber {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw error("expected a digit after '-'") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if isDigit(bytes[index]) {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            } else {
                throw error("expected a digit, found \(describeCurrent())")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else {
                    throw error("expected a digit after '.', found \(describeCurrent())")
                }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard index < bytes.count, isDigit(bytes[index]) else {
                    throw error("expected a digit in the exponent, found \(describeCurrent())")
                }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            return JSONNumber(text: text)
        }

        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

        mutating func parseString() throws(JSONSyntaxError) -> String {
            let open = index
            index += 1
            let start = index
            // Fast path: no escapes and plain ASCII.
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return s
                }
                if b == UInt8(ascii: "\\") || b >= 0x80 || b < 0x20 { break }
                index += 1
            }
            var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while true {
                guard index < bytes.count else { throw error("unterminated string", at: open) }
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    index += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if b < 0x20 {
                    throw error("control character 0x\(String(b, radix: 16)) inside a string; escape it")
                }
                if b == UInt8(ascii: "\\") {
                    try parseEscape(into: &out)
                    continue
                }
                if b < 0x80 {
                    out.append(b)
                    index += 1
                    continue
                }
                let length = try utf8SequenceLength()
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
                index += length
            }
        }

        /// Validates the UTF-8 sequence at `index` and returns its length.
        func utf8SequenceLength() throws(JSONSyntaxError) -> Int {
            let b0 = bytes[index]
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: throw error("invalid UTF-8 byte 0x\(String(b0, radix: 16, uppercase: true))")
            }
            guard index + length <= bytes.count else { throw error("truncated UTF-8 sequence") }
            let b1 = bytes[index + 1]
            guard b1 >= lower && b1 <= upper else {
                throw error("invalid UTF-8 byte 0x\(String(b1, radix: 16, uppercase: true))", at: index + 1)
            }
            for k in 2..<max(2, length) where bytes[index + k] & 0xC0 != 0x80 {
                throw error("invalid UTF-8 byte 0x\(String(bytes[index + k], radix: 16, uppercase: true))", at: index + k)
            }
            return length
        }

        mutating func parseEscape(into out: inout [UInt8]) throws(JSONSyntaxError) {
            let escapeStart = index
            index += 1
            guard index < bytes.count else { throw error("unterminated escape", at: escapeStart) }
            let c = bytes[index]
            index += 1
            switch c {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4(escapeStart: escapeStart)
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired UTF-16 surrogate in \\u escape", at: escapeStart)
                    }
                    index += 2
                    let low = try parseHex4(escapeStart: escapeStart)
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw error("unpaired UTF-16 surrogate in \\u escape", at: escapeStart)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw error("unpaired UTF-16 surrogate in \\u escape", at: escapeStart)
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape", at: escapeStart) }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(c)))'", at: escapeStart)
            }
        }

        mutating func parseHex4(escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("truncated \\u escape", at: escapeStart) }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[index]
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: throw error("invalid hex digit in \\u escape", at: escapeStart)
                }
                v = v << 4 | d
                index += 1
            }
            return v
        }
    }
}

/// Compact JSON output that keeps key order and number text.
public enum JSONWriter {
    public static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += isNumberSyntax(n.text) ? n.text : "null"
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                write(v, into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, m) in o.members.enumerated() {
                if i > 0 { out += "," }
                writeString(m.key, into: &out)
                out += ":"
                write(m.value, into: &out)
            }
            out += "}"
        }
    }

    public static func string(_ value: JSONValue) -> String {
        var s = ""
        write(value, into: &s)
        return s
    }

    /// Whether `text` can stand as a JSON number: a Double that overflowed (`JSONNumber(Double.infinity)` is
    /// `inf`) or is NaN must be written as `null`, since no JSON reader accepts `inf` or `nan` (RFC 8259, 6).
    static func isNumberSyntax(_ text: String) -> Bool {
        var bytes = text.utf8.makeIterator()
        var first = bytes.next()
        if first == UInt8(ascii: "-") { first = bytes.next() }
        guard let first else { return false }
        return first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")
    }

    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// Pretty output with two-space indentation, for humans and `--format json`.
    public static func pretty(_ value: JSONValue, indent: Int = 0, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch value {
        case .array(let a) where !a.isEmpty:
            out += "[\n"
            for (i, v) in a.enumerated() {
                out += pad
                pretty(v, indent: indent + 1, into: &out)
                out += i == a.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        case .object(let o) where !o.isEmpty:
            out += "{\n"
            for (i, m) in o.members.enumerated() {
                out += pad
                writeString(m.key, into: &out)
                out += ": "
                pretty(m.value, indent: indent + 1, into: &out)
                out += i == o.members.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        default:
            write(value, into: &out)
        }
    }

    public static func prettyString(_ value: JSONValue) -> String {
        var s = ""
        pretty(value, into: &s)
        return s
    }
}
