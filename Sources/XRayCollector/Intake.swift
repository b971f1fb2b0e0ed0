import XRayStore
import XRayWire

/// Turns received bytes into documents to store or rejects to keep, the way the X-Ray service would.
enum Intake {
    /// What one datagram became.
    struct Classified {
        var documents: [IncomingDocument] = []
        var rejects: [IncomingReject] = []
        /// The counter key of each reject, in the order of `rejects`.
        var rejectReasons: [String] = []
    }

    /// Largest datagram the reader keeps whole; anything longer arrives truncated and is rejected.
    static let slotSize = DaemonDatagram.maxSize

    /// Splits the header, parses the body (an object, or an array of subsegments), and keeps raw bytes.
    static func classify(_ datagram: ReceivedDatagram, into out: inout Classified) {
        if datagram.truncated {
            out.rejects.append(IncomingReject(
                raw: datagram.bytes,
                reason: "datagram truncated: longer than the \(slotSize) bytes a daemon datagram may have; "
                    + "send large segments as separate subsegments",
                source: datagram.source, receivedAt: datagram.receivedAt))
            out.rejectReasons.append("truncated")
            return
        }
        datagram.bytes.withUnsafeBufferPointer { bytes in
            let body: Range<Int>
            do throws(DocumentRejection) {
                body = try DaemonDatagram.bodyRange(of: bytes)
            } catch {
                reject(datagram, error, into: &out)
                return
            }
            let slice = UnsafeBufferPointer(rebasing: bytes[body])
            if slice[0] == UInt8(ascii: "[") {
                classifyArray(slice, datagram, into: &out)
                return
            }
            do throws(DocumentRejection) {
                let document = try SegmentDocumentParser.parse(bytes: slice)
                out.documents.append(IncomingDocument(
                    raw: Array(slice), document: document, source: datagram.source, receivedAt: datagram.receivedAt))
            } catch {
                reject(datagram, error, into: &out)
            }
        }
    }

    /// An array body: each element is a document of its own, stored or rejected on its own.
    static func classifyArray(_ slice: UnsafeBufferPointer<UInt8>, _ datagram: ReceivedDatagram, into out: inout Classified) {
        let elements: [JSONValue]
        do {
            guard case .array(let array) = try JSONParser.parse(buffer: slice).value else {
                reject(datagram, DocumentRejection(field: nil, message: "not JSON: expected an array"), into: &out)
                return
            }
            elements = array
        } catch {
            reject(datagram, DocumentRejection(field: nil, message: "not JSON: \(error.description)"), into: &out)
            return
        }
        guard !elements.isEmpty else {
            reject(datagram, DocumentRejection(field: nil, message: "empty array: the body holds no subsegment"), into: &out)
            return
        }
        for (index, element) in elements.enumerated() {
            let raw = Array(JSONWriter.string(element).utf8)
            do {
                let document = try SegmentDocumentParser.parse(value: element)
                out.documents.append(IncomingDocument(
                    raw: raw, document: document, source: datagram.source, receivedAt: datagram.receivedAt))
            } catch {
                out.rejects.append(IncomingReject(
                    raw: raw, reason: "array element \(index): \(error.description)",
                    source: datagram.source, receivedAt: datagram.receivedAt))
                out.rejectReasons.append(reasonKey(error))
            }
        }
    }

    static func reject(_ datagram: ReceivedDatagram, _ rejection: DocumentRejection, into out: inout Classified) {
        out.rejects.append(IncomingReject(
            raw: datagram.bytes, reason: rejection.description, source: datagram.source, receivedAt: datagram.receivedAt))
        out.rejectReasons.append(reasonKey(rejection))
    }

    /// The counter key of a rejection: the field at fault, else the kind of problem without positions.
    static func reasonKey(_ rejection: DocumentRejection) -> String {
        if let field = rejection.field { return field }
        var text = Substring(rejection.message)
        if let colon = text.firstIndex(of: ":") { text = text[..<colon] }
        if let at = text.firstRange(of: " at byte") { text = text[..<at.lowerBound] }
        return String(text.prefix(48))
    }
}
