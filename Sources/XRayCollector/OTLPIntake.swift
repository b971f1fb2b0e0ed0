import XRayOTel
import XRayStore
import XRayWire

/// OTLP export requests (`/v1/traces`, `/v1/metrics`, `/v1/logs`) decoded, translated to X-Ray segment
/// documents and stored through the same writer as SDK documents, answered as the OTLP specification's
/// "OTLP/HTTP" section says (https://opentelemetry.io/docs/specs/otlp/#otlphttp).
///
/// Transport-free: `export` takes the body, its `Content-Type` and `Content-Encoding` and returns the status,
/// content type and body to send, so OTLP/HTTP and a gRPC adapter share one decode → translate → store path.
package struct OTLPIntake: Sendable {
    /// The exporter options of AWS's awsxrayexporter that shape documents, and the body limit.
    package struct Options: Sendable, Hashable {
        /// The largest body accepted, after decompression as the OTLP specification requires.
        package var maxBody: Int
        package var translator: SegmentTranslator.Options

        package static let defaultMaxBody = 4 << 20

        package init(maxBody: Int = Options.defaultMaxBody, translator: SegmentTranslator.Options = .init()) {
            self.maxBody = maxBody
            self.translator = translator
        }
    }

    /// The OTLP signals, by path.
    package enum Signal: Sendable, Hashable {
        case traces, metrics, logs

        /// `/v1/traces` and the others; nil for any other path.
        package init?(path: String) {
            switch path {
            case "/v1/traces": self = .traces
            case "/v1/metrics": self = .metrics
            case "/v1/logs": self = .logs
            default: return nil
            }
        }

        package static let paths = ["/v1/traces", "/v1/metrics", "/v1/logs"]
    }

    /// The two OTLP/HTTP encodings, told apart by `Content-Type`.
    package enum Format: Sendable, Hashable {
        case protobuf, json

        package var contentType: String { self == .protobuf ? "application/x-protobuf" : "application/json" }

        /// `application/x-protobuf` or `application/json`, parameters ignored; nil for anything else.
        package init?(contentType: String?) {
            let media = contentType?.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces.lowercased() }
            switch media {
            case "application/x-protobuf": self = .protobuf
            case "application/json": self = .json
            default: return nil
            }
        }
    }

    /// What became of a request's spans.
    package struct Counts: Sendable, Hashable {
        package var received = 0
        package var stored = 0
        package var rejected = 0
    }

    /// The answer to send.
    package struct Answer: Sendable {
        package var status: Int
        package var contentType: String
        package var body: [UInt8]
        /// Headers beyond Content-Type (`Retry-After` on a 503).
        package var headers: [(name: String, value: String)] = []
        package var counts = Counts()
    }

    let handoff: DocumentHandoff
    let counters: LiveCounters
    let options: Options

    /// Decodes, translates and stores one export request.
    ///
    /// - Parameters:
    ///   - source: where it came from, kept with every document and reject (`otlp:127.0.0.1:40112`).
    package func export(
        _ signal: Signal, body: [UInt8], contentType: String?, contentEncoding: String?, source: String, receivedAt: Double
    ) -> Answer {
        guard let format = Format(contentType: contentType) else {
            let shown = contentType.map { "Content-Type \"\($0)\" is not an OTLP encoding" } ?? "the request has no Content-Type"
            return Answer(
                status: 415, contentType: "text/plain",
                body: Array("\(shown); send application/x-protobuf or application/json\n".utf8))
        }
        func failure(_ status: Int, _ message: String) -> Answer {
            let body = format == .protobuf ? OTLPResponse.statusProtobuf(message: message) : OTLPResponse.statusJSON(message: message)
            return Answer(status: status, contentType: format.contentType, body: body)
        }
        let encoding: Decompression.Encoding?
        switch contentEncoding?.trimmingSpaces.lowercased() {
        case nil, "", "identity": encoding = nil
        case "gzip", "x-gzip": encoding = .gzip
        case "deflate": encoding = .deflate
        case let other?:
            return failure(415, "Content-Encoding \"\(other)\" is not supported; send gzip, deflate or no encoding")
        }
        guard body.count <= options.maxBody else {
            return failure(413, "the body of \(body.count) bytes is over the \(options.maxBody)-byte limit")
        }
        let plain: [UInt8]
        if let encoding {
            do {
                plain = try Decompression.decompress(body, encoding: encoding, limit: options.maxBody)
            } catch {
                if case .tooLarge = error {
                    return failure(413, "the \(encoding == .gzip ? "gzip" : "deflate") body inflates past the \(options.maxBody)-byte limit")
                }
                return failure(400, "the \(encoding == .gzip ? "gzip" : "deflate") body does not inflate: \(error.description)")
            }
        } else {
            plain = body
        }
        switch signal {
        case .metrics:
            counters.otlpMetricsRequests.add(1, ordering: .relaxed)
            return success(format, nil)
        case .logs:
            counters.otlpLogsRequests.add(1, ordering: .relaxed)
            return success(format, nil)
        case .traces:
            break
        }
        let request: OTLPRequest
        do {
            let limits = OTLPDecodingLimits(maxBytes: options.maxBody)
            request = format == .protobuf ? try OTLPProtobufDecoder.decode(plain, limits: limits) : try OTLPJSONDecoder.decode(plain, limits: limits)
        } catch {
            return failure(400, "the body is not an OTLP \(format == .protobuf ? "protobuf" : "JSON") ExportTraceServiceRequest: \(error.description)")
        }
        var batch = OTLPTranslation.translate(
            request, raw: plain, translator: SegmentTranslator(options: options.translator),
            source: source, receivedAt: receivedAt)
        var counts = Counts(received: request.spanCount + request.rejections.count)
        counters.otlpSpansReceived.add(counts.received, ordering: .relaxed)
        if !batch.documents.isEmpty || !batch.rejects.isEmpty {
            switch handoff.store(batch.documents, rejects: batch.rejects, rejectReasons: batch.rejectReasons, timeout: 10) {
            case .closed:
                return unavailable(format, "the collector is shutting down; send again to the next one")
            case .timedOut:
                return unavailable(format, "the store did not commit this request within 10 seconds; nothing in it is acknowledged")
            case .failed(let error):
                return unavailable(format, "the store cannot take writes (\(error.description)); nothing in this request was stored")
            case .stored(let ingest):
                for refusal in ingest.refused where batch.spanOfDocument.indices.contains(refusal.index) {
                    batch.refuse(span: batch.spanOfDocument[refusal.index], reason: refusal.reason)
                }
            }
        }
        counts.rejected = batch.rejectedSpans.count + request.rejections.count
        counts.stored = counts.received - counts.rejected
        counters.otlpSpansStored.add(counts.stored, ordering: .relaxed)
        counters.otlpSpansRejected.add(counts.rejected, ordering: .relaxed)
        var messages = request.rejections.prefix(3).map(\.description)
        messages += batch.rejectedSpans.sorted { $0.key < $1.key }.prefix(3).map { "span \($0.key): \($0.value)" }
        let partial =
            counts.rejected == 0
            ? nil
            : OTLPResponse.PartialSuccess(
                rejectedSpans: Int64(counts.rejected),
                errorMessage: "\(counts.rejected) of \(counts.received) spans refused: " + messages.joined(separator: "; ")
                    + (counts.rejected > messages.count ? "; ..." : ""))
        var answer = success(format, partial)
        answer.counts = counts
        return answer
    }

    func success(_ format: Format, _ partial: OTLPResponse.PartialSuccess?) -> Answer {
        Answer(
            status: 200, contentType: format.contentType,
            body: format == .protobuf ? OTLPResponse.protobuf(partial) : OTLPResponse.json(partial))
    }

    /// 503 with `Retry-After`: one of the codes an OTLP client retries, since nothing was stored.
    func unavailable(_ format: Format, _ message: String) -> Answer {
        let body = format == .protobuf ? OTLPResponse.statusProtobuf(message: message) : OTLPResponse.statusJSON(message: message)
        return Answer(status: 503, contentType: format.contentType, body: body, headers: [("Retry-After", "1")])
    }
}

/// OTLP spans as documents to store and rejects to keep: shared by OTLP/HTTP and ADOT's `T1S` datagrams.
enum OTLPTranslation {
    struct Batch {
        var documents: [IncomingDocument] = []
        var rejects: [IncomingReject] = []
        var rejectReasons: [String] = []
        /// For each of `documents`, the index of its span in the request's accepted spans.
        var spanOfDocument: [Int] = []
        /// Accepted spans that were refused later (translation or store), by `<trace id>/<span id>`.
        var rejectedSpans: [String: String] = [:]
        var spanKeys: [String] = []

        mutating func refuse(span: Int, reason: String) {
            let key = spanKeys[span]
            if rejectedSpans[key] == nil { rejectedSpans[key] = reason }
        }
    }

    /// Translates every accepted span; a document the parser refuses is kept as a reject with its bytes, and the
    /// spans the decoder left out (ids of the wrong length) become one reject holding the whole body `raw`.
    static func translate(
        _ request: OTLPRequest, raw: [UInt8], translator: SegmentTranslator, source: String, receivedAt: Double
    ) -> Batch {
        var batch = Batch()
        if !request.rejections.isEmpty {
            let shown = request.rejections.prefix(10).map(\.description).joined(separator: "; ")
            let more = request.rejections.count > 10 ? "; and \(request.rejections.count - 10) more" : ""
            batch.rejects.append(
                IncomingReject(
                    raw: raw, reason: "OTLP export: \(request.rejections.count) span(s) refused: \(shown)\(more)",
                    source: source, receivedAt: receivedAt))
            batch.rejectReasons.append("otlp.span_id")
        }
        // The resource and scope of each span's stored one-span request, written once per scope.
        var frames: [OTLPJSONEncoder.OneSpanFrame] = []
        for rs in request.resourceSpans {
            for ss in rs.scopeSpans where !ss.spans.isEmpty {
                let frame = OTLPJSONEncoder.OneSpanFrame(
                    OTLPSpanContext(
                        resource: rs.resource, resourceSchemaURL: rs.schemaURL, scope: ss.scope, scopeSchemaURL: ss.schemaURL,
                        span: ss.spans[0]))
                frames += repeatElement(frame, count: ss.spans.count)
            }
        }
        for (index, translated) in translator.translate(request).enumerated() {
            let span = translated.source.span
            batch.spanKeys.append(hex(span.traceID) + "/" + hex(span.spanID))
            for (position, bytes) in translated.documentBytes.enumerated() {
                do {
                    let document = try SegmentDocumentParser.parse(bytes: bytes)
                    // The span is kept once, with the document that carries its id (the first).
                    let original = position == 0 ? frames[index].encode(span) : nil
                    batch.documents.append(
                        IncomingDocument(
                            raw: bytes, document: document, source: source, receivedAt: receivedAt, originalSpan: original))
                    batch.spanOfDocument.append(index)
                } catch {
                    batch.rejects.append(
                        IncomingReject(
                            raw: bytes, reason: "OTLP span \(batch.spanKeys[index]) translated to a document that is refused: \(error.description)",
                            source: source, receivedAt: receivedAt))
                    batch.rejectReasons.append(Intake.reasonKey(error))
                    batch.refuse(span: index, reason: error.description)
                }
            }
        }
        return batch
    }
}

/// Lower-case hex of OTLP id bytes, as the OTLP/JSON encoding writes them.
private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
}
