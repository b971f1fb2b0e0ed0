/// libFuzzer entry point for the HTTP/2 server side: the input's first byte picks HPACK alone (the rest as
/// two header blocks through one decoder, so the dynamic table carries over) or a whole connection (the
/// rest after the client preface, fed in two pieces, every request answered). Built from the three
/// protocol files alone, which import nothing. Whatever the bytes, nothing may trap, and what the
/// connection sends must parse back as whole frames.
@_cdecl("LLVMFuzzerTestOneInput")
public func http2Fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let rest = Array(bytes.dropFirst())
    let split = rest.isEmpty ? 0 : Int(bytes[0] >> 1) % (rest.count + 1)
    if bytes[0] & 1 == 0 {
        var decoder = HPACKDecoder(maxHeaderListSize: 4096)
        for block in [Array(rest[..<split]), Array(rest[split...])] {
            do {
                let fields = try decoder.decode(block)
                precondition(fields.reduce(0) { $0 + $1.size } <= 4096, "a header list past the limit was returned")
            } catch {
                _ = error.description
            }
            precondition(decoder.tableSize <= decoder.tableLimit, "the dynamic table outgrew its limit")
        }
        return 0
    }
    var limits = HTTP2Connection.Limits()
    limits.maxBody = 1 << 16
    var connection = HTTP2Connection(limits: limits)
    var sent = connection.start()
    for piece in [HTTP2Connection.preface + rest[..<split], Array(rest[split...])] {
        let output = connection.receive(piece)
        sent += output.send
        for event in output.events {
            let stream: UInt32
            switch event {
            case .request(let request): stream = request.stream
            case .refused(let id, _): stream = id
            }
            sent += connection.respond(
                stream: stream, fields: [HeaderField(":status", "200")], body: [1, 2, 3],
                trailers: [HeaderField("grpc-status", "0")])
        }
    }
    var offset = sent[...]
    while !offset.isEmpty {
        guard let (_, length) = try? HTTP2Frame.parse(offset, maxFrameSize: 1 << 24 - 1) else {
            preconditionFailure("the connection sent bytes that are not whole frames")
        }
        offset = offset.dropFirst(length)
    }
    return 0
}
