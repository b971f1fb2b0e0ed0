import XRayWire

/// libFuzzer entry point for the segment document path the collector and importer take.
///
/// The input is read as a daemon datagram (`DaemonDatagram.bodyRange`, then an object or an array body, the way
/// `Intake.classify` splits them); input without a valid header is read as a bare document, the way a line of an
/// imported file is. Whatever parses must survive `JSONWriter` and parse again to the same value: the collector
/// stores array elements as `JSONWriter` output and reads them back later.
@_cdecl("LLVMFuzzerTestOneInput")
public func documentFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let body: UnsafeBufferPointer<UInt8>
    do throws(DocumentRejection) {
        body = UnsafeBufferPointer(rebasing: bytes[try DaemonDatagram.bodyRange(of: bytes)])
    } catch {
        _ = error.description
        body = bytes
    }
    guard !body.isEmpty else { return 0 }
    if body[0] == UInt8(ascii: "[") {
        arrayBody(body)
    } else {
        objectBody(body)
    }
    return 0
}

/// An array body: one document per element, validated from the parsed value.
func arrayBody(_ body: UnsafeBufferPointer<UInt8>) {
    guard let parsed = try? JSONParser.parse(buffer: body).value else { return }
    roundTrip(parsed)
    guard case .array(let elements) = parsed else { return }
    for element in elements {
        if let document = try? SegmentDocumentParser.parse(value: element) {
            reparse(document)
        }
    }
}

/// An object body: parsed and validated from bytes in one call, as `SegmentDocumentParser.parse(bytes:)` does.
func objectBody(_ body: UnsafeBufferPointer<UInt8>) {
    do throws(DocumentRejection) {
        reparse(try SegmentDocumentParser.parse(bytes: body))
    } catch {
        _ = error.description
        if let parsed = try? JSONParser.parse(buffer: body).value { roundTrip(parsed) }
    }
}

/// `JSONWriter` output of a valid document is a valid document with the same entities.
func reparse(_ document: SegmentDocument) {
    let written = JSONWriter.string(.object(document.json))
    let again: SegmentDocument
    do throws(DocumentRejection) {
        again = try SegmentDocumentParser.parse(written)
    } catch {
        fatalError("JSONWriter output of a valid document is rejected: \(error.description)\n\(written)")
    }
    guard again.entities.count == document.entities.count, again.id == document.id else {
        fatalError("JSONWriter output of a valid document parses to other entities\n\(written)")
    }
    roundTrip(.object(document.json))
}

/// Any parsed value written by `JSONWriter` (compact and pretty) parses back to itself.
func roundTrip(_ value: JSONValue) {
    for written in [JSONWriter.string(value), JSONWriter.prettyString(value)] {
        let again: JSONValue
        do throws(JSONSyntaxError) {
            again = try JSONParser.parse(written).value
        } catch {
            fatalError("JSONWriter output does not parse: \(error.description)\n\(written)")
        }
        guard again == value else { fatalError("JSONWriter output parses to another value\n\(written)") }
    }
}
