/// Splits an X-Ray daemon datagram (`{"format":"json","version":1}\n<document>`) into its parts.
///
/// The header is parsed as JSON, never byte-compared: SDKs spell it differently (aws-xray-daemon `pkg/tracesegment`: `Header.IsValid`).
public enum DaemonDatagram {
    /// Largest datagram the daemon protocol carries: the X-Ray daemon reads 64 KiB per datagram.
    public static let maxSize = 65_536

    /// Returns the byte range of the body, or why the datagram is not a daemon datagram.
    public static func bodyRange(of bytes: UnsafeBufferPointer<UInt8>) throws(DocumentRejection) -> Range<Int> {
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            throw DocumentRejection(
                field: nil,
                message: "missing header: no newline in \(bytes.count) bytes; expected {\"format\":\"json\",\"version\":1} and a newline before the document")
        }
        var headerEnd = newline
        if headerEnd > 0, bytes[headerEnd - 1] == 0x0D { headerEnd -= 1 }
        let header = UnsafeBufferPointer(rebasing: bytes[0..<headerEnd])
        try validateHeader(header)
        var start = newline + 1
        var end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        guard start < end else {
            throw DocumentRejection(field: nil, message: "empty body at byte \(newline + 1): the header must be followed by a segment document")
        }
        return start..<end
    }

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Checks `{"format": "json", "version": 1}`: format case-insensitive, version the number 1, extra keys ignored.
    public static func validateHeader(_ header: UnsafeBufferPointer<UInt8>) throws(DocumentRejection) {
        // The common spellings pass without building a JSON tree.
        if matches(header, #"{"format":"json","version":1}"#) || matches(header, #"{"format": "json", "version": 1}"#) {
            return
        }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(buffer: header, options: .init(allowNonFinite: false)).value
        } catch {
            throw DocumentRejection(field: "header", message: "not JSON: \(error.description)")
        }
        guard case .object(let o) = parsed else {
            throw DocumentRejection(field: "header", message: "expected an object like {\"format\":\"json\",\"version\":1}, found \(parsed.typeName)")
        }
        guard case .string(let format) = o["format"], format.lowercased() == "json" else {
            throw DocumentRejection(field: "header.format", message: "expected \"json\", found \(o["format"].map(SegmentDocumentParser.describe) ?? "nothing")")
        }
        guard case .number(let version) = o["version"], version.double == 1 else {
            throw DocumentRejection(
                field: "header.version",
                message: "expected the number 1, found \(o["version"].map { $0 == .null ? "null" : JSONWriter.string($0) } ?? "nothing")")
        }
    }

    static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress, text.utf8Start, bytes.count) == 0
    }
}

@inline(__always) func memcmp(_ a: UnsafePointer<UInt8>?, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    guard let a else { return n == 0 ? 0 : 1 }
    for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
    return 0
}
