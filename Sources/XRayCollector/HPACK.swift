/// HPACK header compression for HTTP/2 (RFC 7541, https://www.rfc-editor.org/rfc/rfc7541): the decoder a
/// server needs for requests, whose header blocks grpcio sends Huffman-coded and indexed into the dynamic
/// table, and an encoder for responses that uses neither (literal fields without indexing are always valid).

/// Why a header block cannot be decoded; every one is a connection error of type COMPRESSION_ERROR
/// (RFC 9113 section 4.3), except `headerListTooLarge`, which leaves the decoder usable.
enum HPACKError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The block ended inside an integer, a string or a field.
    case truncated(at: Int)
    /// An integer that does not fit (more than 2^31 - 1).
    case integerOverflow(at: Int)
    /// An index of 0, or past the static and dynamic tables.
    case indexOutOfRange(Int, at: Int)
    /// A Huffman string with an EOS symbol, padding longer than 7 bits or padding that is not all ones.
    case badHuffman(at: Int)
    /// A dynamic table size update above the limit the settings allow, or one after the first field.
    case badTableSizeUpdate(Int, at: Int)
    /// The decoded fields exceed the header list limit (names, values and 32 bytes each, RFC 9113 6.5.2).
    case headerListTooLarge(limit: Int)

    var description: String {
        switch self {
        case .truncated(let at): "the header block ends inside a field at byte \(at)"
        case .integerOverflow(let at): "an integer at byte \(at) is too large"
        case .indexOutOfRange(let index, let at): "header table index \(index) at byte \(at) is out of range"
        case .badHuffman(let at): "the Huffman string at byte \(at) is malformed"
        case .badTableSizeUpdate(let size, let at): "the dynamic table size update to \(size) at byte \(at) is not allowed"
        case .headerListTooLarge(let limit): "the header list is larger than \(limit) bytes"
        }
    }
}

/// One header field: lower-case name (HTTP/2 requires it) and value, as bytes decoded as UTF-8.
struct HeaderField: Equatable, Sendable {
    var name: String
    var value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// The size the tables and the header list limit count: name and value octets plus 32 (RFC 7541 4.1).
    var size: Int { name.utf8.count + value.utf8.count + 32 }
}

/// Decodes the header blocks of one connection, in order; it holds the dynamic table they share.
struct HPACKDecoder: Sendable {
    /// The table size our SETTINGS_HEADER_TABLE_SIZE allows (4096, the protocol default, RFC 9113 6.5.2).
    let maxTableSize: Int
    /// The limit the encoder last chose by a dynamic table size update.
    private(set) var tableLimit: Int
    /// Newest first, as RFC 7541 2.3.3 indexes them after the 61 static entries.
    private(set) var dynamicTable: [HeaderField] = []
    private(set) var tableSize = 0
    let maxHeaderListSize: Int

    init(maxTableSize: Int = 4096, maxHeaderListSize: Int = 16 * 1024) {
        self.maxTableSize = maxTableSize
        self.tableLimit = maxTableSize
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// The fields of one complete header block (HEADERS and its CONTINUATIONs joined).
    ///
    /// A block whose fields exceed the header list limit is still decoded to its end, so the dynamic table
    /// stays in step with the encoder, but its fields are not kept: `headerListTooLarge` is thrown after.
    mutating func decode(_ block: [UInt8]) throws(HPACKError) -> [HeaderField] {
        var fields: [HeaderField] = []
        var listSize = 0
        var position = 0
        var sawField = false
        while position < block.count {
            let start = position
            let byte = block[position]
            var field: HeaderField
            if byte & 0x80 != 0 {
                // 6.1 Indexed header field.
                let index = try Self.integer(block, &position, prefix: 7)
                field = try entry(index, at: start)
            } else if byte & 0xC0 == 0x40 {
                // 6.2.1 Literal with incremental indexing.
                field = try literal(block, &position, prefix: 6, at: start)
                insert(field)
            } else if byte & 0xE0 == 0x20 {
                // 6.3 Dynamic table size update: only before the first field of a block (4.2).
                let size = try Self.integer(block, &position, prefix: 5)
                guard !sawField, size <= maxTableSize else { throw .badTableSizeUpdate(size, at: start) }
                tableLimit = size
                evict(toFit: 0)
                continue
            } else {
                // 6.2.2 without indexing (0000) and 6.2.3 never indexed (0001): not stored.
                field = try literal(block, &position, prefix: 4, at: start)
            }
            sawField = true
            listSize += field.size
            if listSize <= maxHeaderListSize { fields.append(field) }
        }
        if listSize > maxHeaderListSize { throw .headerListTooLarge(limit: maxHeaderListSize) }
        return fields
    }

    private func entry(_ index: Int, at: Int) throws(HPACKError) -> HeaderField {
        if index >= 1, index <= HPACKStaticTable.entries.count { return HPACKStaticTable.entries[index - 1] }
        let dynamic = index - HPACKStaticTable.entries.count - 1
        guard index >= 1, dynamic < dynamicTable.count else { throw .indexOutOfRange(index, at: at) }
        return dynamicTable[dynamic]
    }

    private func literal(_ block: [UInt8], _ position: inout Int, prefix: Int, at: Int) throws(HPACKError) -> HeaderField {
        let index = try Self.integer(block, &position, prefix: prefix)
        let name = index == 0 ? try Self.string(block, &position) : try entry(index, at: at).name
        let value = try Self.string(block, &position)
        return HeaderField(name, value)
    }

    /// 4.4: an entry larger than the table empties it and is not added.
    private mutating func insert(_ field: HeaderField) {
        evict(toFit: field.size)
        guard field.size <= tableLimit else { return }
        dynamicTable.insert(field, at: 0)
        tableSize += field.size
    }

    private mutating func evict(toFit incoming: Int) {
        while tableSize + incoming > tableLimit, let oldest = dynamicTable.popLast() { tableSize -= oldest.size }
    }

    /// 5.1 integer with an N-bit prefix; the caller's byte at `position` holds the prefix.
    static func integer(_ block: [UInt8], _ position: inout Int, prefix: Int) throws(HPACKError) -> Int {
        let start = position
        guard position < block.count else { throw .truncated(at: start) }
        let mask = (1 << prefix) - 1
        var value = Int(block[position]) & mask
        position += 1
        guard value == mask else { return value }
        var shift = 0
        while true {
            guard position < block.count else { throw .truncated(at: start) }
            let byte = Int(block[position])
            position += 1
            value += (byte & 0x7F) << shift
            guard value <= Int(Int32.max) else { throw .integerOverflow(at: start) }
            if byte & 0x80 == 0 { return value }
            shift += 7
            guard shift <= 28 else { throw .integerOverflow(at: start) }
        }
    }

    /// 5.2 string literal, Huffman-coded when the high bit is set.
    static func string(_ block: [UInt8], _ position: inout Int) throws(HPACKError) -> String {
        let start = position
        guard position < block.count else { throw .truncated(at: start) }
        let huffman = block[position] & 0x80 != 0
        let length = try integer(block, &position, prefix: 7)
        guard length <= block.count - position else { throw .truncated(at: start) }
        let bytes = block[position..<(position + length)]
        position += length
        if huffman {
            guard let decoded = HPACKHuffman.decode(bytes) else { throw .badHuffman(at: start) }
            return String(decoding: decoded, as: UTF8.self)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Encodes response header blocks as literal fields without indexing and without Huffman coding, naming a
/// static-table entry where one has the name: the dynamic table is never used, so the peer's
/// SETTINGS_HEADER_TABLE_SIZE never matters.
enum HPACKEncoder {
    static func encode(_ fields: [HeaderField]) -> [UInt8] {
        var out: [UInt8] = []
        for field in fields {
            if let index = HPACKStaticTable.entries.firstIndex(of: field) {
                integer(index + 1, prefix: 7, flags: 0x80, into: &out)
                continue
            }
            if let index = HPACKStaticTable.entries.firstIndex(where: { $0.name == field.name }) {
                integer(index + 1, prefix: 4, flags: 0x00, into: &out)
            } else {
                out.append(0x00)
                string(field.name, into: &out)
            }
            string(field.value, into: &out)
        }
        return out
    }

    static func integer(_ value: Int, prefix: Int, flags: UInt8, into out: inout [UInt8]) {
        let mask = (1 << prefix) - 1
        if value < mask {
            out.append(flags | UInt8(value))
            return
        }
        out.append(flags | UInt8(mask))
        var rest = value - mask
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    private static func string(_ text: String, into out: inout [UInt8]) {
        let bytes = Array(text.utf8)
        integer(bytes.count, prefix: 7, flags: 0x00, into: &out)
        out += bytes
    }
}

/// The canonical Huffman code of RFC 7541 Appendix B.
enum HPACKHuffman {
    /// Code lengths in bits of symbols 0...255 and EOS (256), from Appendix B. The code is canonical
    /// (codes of one length are consecutive in symbol order, each length starting where the previous one
    /// ended, shifted), so the lengths alone determine every code; the tests check the Appendix C strings.
    static let lengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ]

    static let eos = 256

    /// For each code length, the first code of that length and the symbols having it in code order:
    /// decoding reads bits until the code read so far falls in its length's range.
    private struct Level: Sendable {
        var first: UInt32
        var symbols: [UInt16]
    }

    private static let levels: [Level] = {
        var levels = (0...30).map { _ in Level(first: 0, symbols: []) }
        for symbol in 0...256 { levels[Int(lengths[symbol])].symbols.append(UInt16(symbol)) }
        var code: UInt32 = 0
        for length in 1...30 {
            code <<= 1
            levels[length].first = code
            code += UInt32(levels[length].symbols.count)
        }
        return levels
    }()

    /// The bytes a Huffman string encodes; nil for EOS in the data, padding longer than 7 bits or not all
    /// ones (5.2: each is a decoding error).
    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 8 / 5)
        var code: UInt32 = 0
        var length = 0
        for byte in bytes {
            for bit in stride(from: 7, through: 0, by: -1) {
                code = code << 1 | UInt32(byte >> UInt8(bit) & 1)
                length += 1
                let level = levels[length]
                if code >= level.first, code - level.first < UInt32(level.symbols.count) {
                    let symbol = level.symbols[Int(code - level.first)]
                    if Int(symbol) == eos { return nil }
                    out.append(UInt8(symbol))
                    code = 0
                    length = 0
                } else if length == 30 {
                    return nil
                }
            }
        }
        // What is left is padding: at most 7 bits, all ones (the start of EOS).
        guard length <= 7, code == (UInt32(1) << UInt32(length)) - 1 else { return nil }
        return out
    }

    /// Huffman-codes bytes; the server never sends Huffman, the tests use it to build client header blocks.
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var accumulator: UInt64 = 0
        var bits = 0
        for byte in bytes {
            let length = Int(lengths[Int(byte)])
            accumulator = accumulator << UInt64(length) | UInt64(code(of: Int(byte)))
            bits += length
            while bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(bits)))
            }
        }
        if bits > 0 {
            let pad = 8 - bits
            out.append(UInt8(truncatingIfNeeded: accumulator << UInt64(pad) | ((1 << UInt64(pad)) - 1)))
        }
        return out
    }

    static func code(of symbol: Int) -> UInt32 {
        let level = levels[Int(lengths[symbol])]
        return level.first + UInt32(level.symbols.firstIndex(of: UInt16(symbol))!)
    }
}

/// RFC 7541 Appendix A: the 61 static entries, index 1 first.
enum HPACKStaticTable {
    static let entries: [HeaderField] = [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""),
        ("cache-control", ""), ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""),
        ("content-length", ""), ("content-location", ""), ("content-range", ""), ("content-type", ""),
        ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
        ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
        ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""),
        ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""),
        ("retry-after", ""), ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""),
        ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ].map { HeaderField($0.0, $0.1) }
}
