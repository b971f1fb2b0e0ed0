import Testing

@testable import XRayCollector

/// HPACK against the examples of RFC 7541 Appendix C, decoded block after block with one decoder so the
/// dynamic table carries over as the RFC's do, and against malformed blocks.
@Suite struct HPACKTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(hex.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
            chars = chars.dropFirst(2)
        }
        return out
    }

    static func fields(_ pairs: [(String, String)]) -> [HeaderField] { pairs.map { HeaderField($0.0, $0.1) } }

    struct Example {
        var hex: String
        var fields: [HeaderField]
        var tableSize: Int
    }

    /// Decodes each block in order with one decoder, checking the fields and the table size after each.
    static func check(_ examples: [Example], maxTableSize: Int = 4096) throws {
        var decoder = HPACKDecoder(maxTableSize: maxTableSize)
        for example in examples {
            #expect(try decoder.decode(bytes(example.hex)) == example.fields)
            #expect(decoder.tableSize == example.tableSize)
        }
    }

    static let request1 = fields([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")])
    static let request2 = request1 + fields([("cache-control", "no-cache")])
    static let request3 = fields([
        (":method", "GET"), (":scheme", "https"), (":path", "/index.html"),
        (":authority", "www.example.com"), ("custom-key", "custom-value"),
    ])
    static let response1 = fields([
        (":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("location", "https://www.example.com"),
    ])
    static let response2 = fields([
        (":status", "307"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("location", "https://www.example.com"),
    ])
    static let response3 = fields([
        (":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
        ("location", "https://www.example.com"), ("content-encoding", "gzip"),
        ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
    ])

    @Test func appendixC2LiteralFieldsDecodeAndOnlyIncrementalIndexingFillsTheTable() throws {
        try Self.check([
            Example(
                hex: "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
                fields: Self.fields([("custom-key", "custom-header")]), tableSize: 55)
        ])
        try Self.check([Example(hex: "040c2f73616d706c652f70617468", fields: Self.fields([(":path", "/sample/path")]), tableSize: 0)])
        try Self.check([Example(hex: "100870617373776f726406736563726574", fields: Self.fields([("password", "secret")]), tableSize: 0)])
        try Self.check([Example(hex: "82", fields: Self.fields([(":method", "GET")]), tableSize: 0)])
    }

    @Test func appendixC3RequestsWithoutHuffmanShareTheDynamicTable() throws {
        try Self.check([
            Example(hex: "828684410f7777772e6578616d706c652e636f6d", fields: Self.request1, tableSize: 57),
            Example(hex: "828684be58086e6f2d6361636865", fields: Self.request2, tableSize: 110),
            Example(hex: "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565", fields: Self.request3, tableSize: 164),
        ])
    }

    @Test func appendixC4RequestsWithHuffmanDecodeTheSame() throws {
        try Self.check([
            Example(hex: "828684418cf1e3c2e5f23a6ba0ab90f4ff", fields: Self.request1, tableSize: 57),
            Example(hex: "828684be5886a8eb10649cbf", fields: Self.request2, tableSize: 110),
            Example(hex: "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf", fields: Self.request3, tableSize: 164),
        ])
    }

    @Test func appendixC5ResponsesEvictOldestEntriesFromA256ByteTable() throws {
        try Self.check(
            [
                Example(
                    hex:
                        "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
                    fields: Self.response1, tableSize: 222),
                Example(hex: "4803333037c1c0bf", fields: Self.response2, tableSize: 222),
                Example(
                    hex:
                        "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
                    fields: Self.response3, tableSize: 215),
            ], maxTableSize: 256)
    }

    @Test func appendixC6HuffmanResponsesEvictTheSame() throws {
        try Self.check(
            [
                Example(
                    hex: "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
                    fields: Self.response1, tableSize: 222),
                Example(hex: "4883640effc1c0bf", fields: Self.response2, tableSize: 222),
                Example(
                    hex:
                        "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
                    fields: Self.response3, tableSize: 215),
            ], maxTableSize: 256)
    }

    @Test func appendixC1IntegersRoundTripThroughTheEncoder() throws {
        for (value, prefix, encoded) in [(10, 5, [UInt8(0x0A)]), (1337, 5, [0x1F, 0x9A, 0x0A]), (42, 8, [0x2A])] {
            var out: [UInt8] = []
            HPACKEncoder.integer(value, prefix: prefix, flags: 0, into: &out)
            #expect(out == encoded)
            var position = 0
            #expect(try HPACKDecoder.integer(encoded, &position, prefix: prefix) == value)
            #expect(position == encoded.count)
        }
    }

    @Test func huffmanCodeIsTheRFCsAndEveryByteRoundTrips() {
        // Appendix B spot checks: EOS is 30 ones, '0' is 00000, 'a' is 00011.
        #expect(HPACKHuffman.code(of: 256) == 0x3FFF_FFFF)
        #expect(HPACKHuffman.code(of: Int(UInt8(ascii: "0"))) == 0x0)
        #expect(HPACKHuffman.code(of: Int(UInt8(ascii: "a"))) == 0x3)
        #expect(HPACKHuffman.code(of: 255) == 0x3FF_FFEE)
        let all = (0...255).map(UInt8.init)
        #expect(HPACKHuffman.decode(HPACKHuffman.encode(all)[...]) == all)
    }

    @Test func encoderOutputDecodesToTheSameFields() throws {
        let fields = Self.fields([
            (":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "0"),
            ("grpc-message", String(repeating: "x", count: 300)),
        ])
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(HPACKEncoder.encode(fields)) == fields)
        #expect(decoder.tableSize == 0)
    }

    @Test func indexPastBothTablesIsRejectedNamingTheIndex() {
        var decoder = HPACKDecoder()
        #expect(throws: HPACKError.indexOutOfRange(62, at: 0)) { try decoder.decode([0x80 | 62]) }
        #expect(throws: HPACKError.indexOutOfRange(0, at: 1)) { try decoder.decode([0x82, 0x80]) }
    }

    @Test func truncatedAndOverlongInputIsRejected() {
        var decoder = HPACKDecoder()
        // A literal whose value length says 10 but 2 bytes follow.
        #expect(throws: HPACKError.truncated(at: 3)) { try decoder.decode([0x40, 0x01, 0x61, 0x0A, 0x62, 0x63]) }
        // An integer continuing past 2^31.
        #expect(throws: HPACKError.integerOverflow(at: 0)) { try decoder.decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) }
        #expect(throws: HPACKError.truncated(at: 0)) { try decoder.decode([0xFF, 0xFF]) }
    }

    @Test func huffmanWithEOSOrBadPaddingIsRejected() {
        // EOS coded inside the string (30 ones, padded with ones): 4 bytes of 0xFF.
        #expect(HPACKHuffman.decode([0xFF, 0xFF, 0xFF, 0xFF][...]) == nil)
        // 'a' (00011) padded with zeros instead of ones.
        #expect(HPACKHuffman.decode([0x18][...]) == nil)
        // 'a' then a whole byte of padding: more than 7 bits.
        #expect(HPACKHuffman.decode([0x1F, 0xFF][...]) == nil)
        #expect(HPACKHuffman.decode([0x1F][...]) == [UInt8(ascii: "a")])
        var decoder = HPACKDecoder()
        #expect(throws: HPACKError.badHuffman(at: 1)) { try decoder.decode([0x40, 0x81, 0x18, 0x00]) }
    }

    @Test func tableSizeUpdatesAboveTheLimitOrAfterAFieldAreRejected() throws {
        var decoder = HPACKDecoder(maxTableSize: 4096)
        // 0x3F 0xE1 0x1F = update to 4096 (allowed); to 4097 is not.
        #expect(try decoder.decode([0x3F, 0xE1, 0x1F, 0x82]) == Self.fields([(":method", "GET")]))
        #expect(throws: HPACKError.badTableSizeUpdate(4097, at: 0)) { try decoder.decode([0x3F, 0xE2, 0x1F]) }
        #expect(throws: HPACKError.badTableSizeUpdate(0, at: 1)) { try decoder.decode([0x82, 0x20]) }
    }

    @Test func tableSizeUpdateToZeroEmptiesTheTable() throws {
        var decoder = HPACKDecoder()
        _ = try decoder.decode(Self.bytes("828684410f7777772e6578616d706c652e636f6d"))
        #expect(decoder.tableSize == 57)
        _ = try decoder.decode([0x20, 0x82])
        #expect(decoder.tableSize == 0)
        #expect(throws: HPACKError.indexOutOfRange(62, at: 0)) { try decoder.decode([0x80 | 62]) }
    }

    @Test func oversizedHeaderListIsRefusedButTheTableStaysInStep() throws {
        var decoder = HPACKDecoder(maxHeaderListSize: 100)
        // One indexed literal of 100 value bytes: over the list limit, but it enters the table.
        let block: [UInt8] = [0x40, 0x01, UInt8(ascii: "k"), 100] + [UInt8](repeating: UInt8(ascii: "v"), count: 100)
        #expect(throws: HPACKError.headerListTooLarge(limit: 100)) { try decoder.decode(block) }
        #expect(decoder.tableSize == 1 + 100 + 32)
        // The next block can refer to the entry the refused one added.
        #expect(throws: HPACKError.headerListTooLarge(limit: 100)) { try decoder.decode([0x80 | 62]) }
        #expect(try decoder.decode([0x82]) == Self.fields([(":method", "GET")]))
    }
}
