import XRayOTel
import XRayStore
import XRayWire

/// Turns received bytes into documents to store or rejects to keep, the way the X-Ray service would.
enum Intake {
    /// Largest datagram the reader keeps whole; anything longer arrives truncated and is rejected.
    static let slotSize = DaemonDatagram.maxSize

    /// What a datagram held, for the counters that are not per document.
    enum Classified: Equatable {
        /// Segment documents (or a reject): only the document counters change.
        case documents
        /// ADOT `T1S`/`T1U` spans: how many the export held, and how many of them were refused.
        case spans(received: Int, rejected: Int)
        /// An ADOT `M1` metrics body, discarded.
        case metrics
    }

    /// Splits the header, parses the body (an object, an array of subsegments, or ADOT's `T1S`/`T1U`
    /// base64 OTLP spans, told apart by their first bytes), and keeps raw bytes.
    @discardableResult
    static func classify(
        _ datagram: ReceivedDatagram, translator: SegmentTranslator = SegmentTranslator(),
        into out: inout ParsedBatch
    ) -> Classified {
        if datagram.truncated {
            out.rejects.append(
                IncomingReject(
                    raw: datagram.bytes,
                    reason: "datagram truncated: longer than the \(slotSize) bytes a daemon datagram may have; "
                        + "send large segments as separate subsegments",
                    source: datagram.source, receivedAt: datagram.receivedAt))
            out.rejectReasons.append("truncated")
            return .documents
        }
        return datagram.bytes.withUnsafeBufferPointer { bytes -> Classified in
            let body: Range<Int>
            do throws(DocumentRejection) {
                body = try DaemonDatagram.bodyRange(of: bytes)
            } catch {
                reject(datagram, error, into: &out)
                return .documents
            }
            let slice = UnsafeBufferPointer(rebasing: bytes[body])
            if slice[0] == UInt8(ascii: "[") {
                classifyArray(slice, datagram, into: &out)
                return .documents
            }
            if slice.starts(with: "T1".utf8) || slice.starts(with: "M1".utf8) {
                return classifyADOT(slice, offset: body.lowerBound, datagram, translator: translator, into: &out)
            }
            do throws(DocumentRejection) {
                let document = try SegmentDocumentParser.parse(bytes: slice)
                out.documents.append(
                    IncomingDocument(
                        raw: Array(slice), document: document, source: datagram.source, receivedAt: datagram.receivedAt))
            } catch {
                reject(datagram, error, into: &out)
            }
            return .documents
        }
    }

    /// ADOT's OTLP-over-UDP body (aws-opentelemetry-distro `otlp_udp_exporter.py`): spans translated to
    /// documents like OTLP/HTTP ones; broken base64 or protobuf is one reject with the whole datagram.
    static func classifyADOT(
        _ slice: UnsafeBufferPointer<UInt8>, offset: Int, _ datagram: ReceivedDatagram,
        translator: SegmentTranslator, into out: inout ParsedBatch
    ) -> Classified {
        let request: OTLPRequest
        do {
            switch try ADOTDatagramBody.classify(slice, offset: offset, limits: OTLPDecodingLimits(maxBytes: slotSize)) {
            case .metrics: return .metrics
            case .segment: return .documents
            case .traces(let decoded, _): request = decoded
            }
        } catch {
            out.rejects.append(IncomingReject(raw: datagram.bytes, reason: error.description, source: datagram.source, receivedAt: datagram.receivedAt))
            switch error {
            case .base64: out.rejectReasons.append("adot.base64")
            case .protobuf: out.rejectReasons.append("adot.protobuf")
            case .unknownPrefix: out.rejectReasons.append("adot.prefix")
            }
            return .documents
        }
        let batch = OTLPTranslation.translate(
            request, raw: datagram.bytes, translator: translator,
            source: datagram.source, receivedAt: datagram.receivedAt)
        out.documents += batch.documents
        out.rejects += batch.rejects
        out.rejectReasons += batch.rejectReasons
        let rejected = request.rejections.count + batch.rejectedSpans.count
        return .spans(received: request.spanCount + request.rejections.count, rejected: rejected)
    }

    /// An array body: each element is a document of its own, stored (with its own bytes, as they arrived)
    /// or rejected on its own; a body that is not JSON is rejected whole.
    static func classifyArray(_ slice: UnsafeBufferPointer<UInt8>, _ datagram: ReceivedDatagram, into out: inout ParsedBatch) {
        let ranges = elementRanges(slice)
        var elements: [(range: Range<Int>, value: JSONValue)] = []
        for range in ranges ?? [] {
            guard let value = try? JSONParser.parse(buffer: UnsafeBufferPointer(rebasing: slice[range])).value else { break }
            elements.append((range, value))
        }
        guard let ranges, elements.count == ranges.count else {
            // Not JSON somewhere: the parser over the whole body says where, as for any other body.
            let message: String
            do {
                _ = try JSONParser.parse(buffer: slice)
                message = "not JSON: expected an array of subsegment objects"
            } catch {
                message = "not JSON: \(error.description)"
            }
            reject(datagram, DocumentRejection(field: nil, message: message), into: &out)
            return
        }
        guard !elements.isEmpty else {
            reject(datagram, DocumentRejection(field: nil, message: "empty array: the body holds no subsegment"), into: &out)
            return
        }
        for (index, element) in elements.enumerated() {
            let raw = Array(slice[element.range])
            do {
                let document = try SegmentDocumentParser.parse(value: element.value)
                out.documents.append(
                    IncomingDocument(
                        raw: raw, document: document, source: datagram.source, receivedAt: datagram.receivedAt))
            } catch {
                out.rejects.append(
                    IncomingReject(
                        raw: raw, reason: "array element \(index): \(error.description)",
                        source: datagram.source, receivedAt: datagram.receivedAt))
                out.rejectReasons.append(reasonKey(error))
            }
        }
    }

    /// The byte range of each top-level element of the JSON array `bytes` (which starts with `[`), found
    /// by a scan that only tracks strings and bracket depth; nil when the array's own structure is broken
    /// (an empty element, a missing comma or `]`, bytes after it, nesting past `JSONParser.maxDepth`).
    /// Whether each element is JSON is for the parser to say.
    static func elementRanges(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        var ranges: [Range<Int>] = []
        var i = 1
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            return i == bytes.count ? [] : nil
        }
        var start = i
        var depth = 0
        var inString = false
        var escaped = false
        while i < bytes.count {
            let b = bytes[i]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                depth += 1
                if depth >= JSONParser.maxDepth { return nil }
            } else if (b == UInt8(ascii: "}") || b == UInt8(ascii: "]")) && depth > 0 {
                depth -= 1
            } else if depth == 0, b == UInt8(ascii: ",") || b == UInt8(ascii: "]") || b == UInt8(ascii: "}") {
                var end = i
                while end > start, isSpace(bytes[end - 1]) { end -= 1 }
                guard end > start, b != UInt8(ascii: "}") else { return nil }
                ranges.append(start..<end)
                i += 1
                if b == UInt8(ascii: "]") {
                    while i < bytes.count, isSpace(bytes[i]) { i += 1 }
                    return i == bytes.count ? ranges : nil
                }
                while i < bytes.count, isSpace(bytes[i]) { i += 1 }
                start = i
                continue
            }
            i += 1
        }
        return nil
    }

    static func reject(_ datagram: ReceivedDatagram, _ rejection: DocumentRejection, into out: inout ParsedBatch) {
        out.rejects.append(
            IncomingReject(
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
