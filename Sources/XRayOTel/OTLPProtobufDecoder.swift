/// Decodes a binary protobuf `ExportTraceServiceRequest`
/// (`opentelemetry/proto/collector/trace/v1/trace_service.proto`), the body of OTLP/HTTP `application/x-protobuf`
/// and of ADOT's `T1S` datagrams.
///
/// Hand-written over the 13 messages of the trace subset: no dependency, no Foundation. Unknown fields are
/// skipped (protobuf's forward compatibility), so newer senders work; `EntityRef` and the profiles-only
/// `*_strindex` fields are skipped that way too.
public enum OTLPProtobufDecoder {
    /// - Throws: `OTLPDecodingError` with the byte offset of the first malformed field; a span whose ids have the
    ///   wrong length is not an error but an entry in `OTLPRequest.rejections`.
    public static func decode(_ bytes: [UInt8], limits: OTLPDecodingLimits = OTLPDecodingLimits()) throws(OTLPDecodingError) -> OTLPRequest {
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(size: bytes.count, limit: limits.maxBytes) }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(OTLPDecodingError) -> OTLPRequest in
            var decoder = Decoder(limits: limits)
            var reader = ProtobufReader(bytes: buffer, range: 0..<buffer.count)
            return try decoder.request(&reader)
        }
    }

    struct Decoder {
        let limits: OTLPDecodingLimits
        var request = OTLPRequest()

        mutating func request(_ r: inout ProtobufReader) throws(OTLPDecodingError) -> OTLPRequest {
            while !r.isAtEnd {
                let tag = try r.readTag()
                if tag.field == 1 {
                    var m = try r.message(tag, "ExportTraceServiceRequest.resource_spans")
                    let rs = try resourceSpans(&m, index: request.resourceSpans.count)
                    request.resourceSpans.append(rs)
                } else {
                    try r.skip(tag)
                }
            }
            return request
        }

        mutating func resourceSpans(_ r: inout ProtobufReader, index: Int) throws(OTLPDecodingError) -> OTLPResourceSpans {
            var out = OTLPResourceSpans()
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1:
                    var m = try r.message(tag, "ResourceSpans.resource")
                    out.resource = try resource(&m)
                case 2:
                    var m = try r.message(tag, "ResourceSpans.scope_spans")
                    let path = "resourceSpans[\(index)].scopeSpans[\(out.scopeSpans.count)]"
                    out.scopeSpans.append(try scopeSpans(&m, path: path))
                case 3: out.schemaURL = try r.string(tag, "ResourceSpans.schema_url")
                default: try r.skip(tag)
                }
            }
            return out
        }

        func resource(_ r: inout ProtobufReader) throws(OTLPDecodingError) -> OTLPResource {
            var out = OTLPResource()
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1:
                    var m = try r.message(tag, "Resource.attributes")
                    out.attributes.append(try keyValue(&m, depth: 0))
                case 2: out.droppedAttributesCount = try r.uint32(tag, "Resource.dropped_attributes_count")
                default: try r.skip(tag)
                }
            }
            return out
        }

        mutating func scopeSpans(_ r: inout ProtobufReader, path: String) throws(OTLPDecodingError) -> OTLPScopeSpans {
            var out = OTLPScopeSpans()
            var spanIndex = 0
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1:
                    var m = try r.message(tag, "ScopeSpans.scope")
                    out.scope = try scope(&m)
                case 2:
                    var m = try r.message(tag, "ScopeSpans.spans")
                    let s = try span(&m)
                    if let reason = OTLPIDCheck.reason(for: s) {
                        request.rejections.append(OTLPSpanRejection(path: "\(path).spans[\(spanIndex)]", reason: reason))
                    } else {
                        out.spans.append(s)
                    }
                    spanIndex += 1
                case 3: out.schemaURL = try r.string(tag, "ScopeSpans.schema_url")
                default: try r.skip(tag)
                }
            }
            return out
        }

        func scope(_ r: inout ProtobufReader) throws(OTLPDecodingError) -> OTLPScope {
            var out = OTLPScope()
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1: out.name = try r.string(tag, "InstrumentationScope.name")
                case 2: out.version = try r.string(tag, "InstrumentationScope.version")
                case 3:
                    var m = try r.message(tag, "InstrumentationScope.attributes")
                    out.attributes.append(try keyValue(&m, depth: 0))
                case 4: out.droppedAttributesCount = try r.uint32(tag, "InstrumentationScope.dropped_attributes_count")
                default: try r.skip(tag)
                }
            }
            return out
        }

        func span(_ r: inout ProtobufReader) throws(OTLPDecodingError) -> OTLPSpan {
            var out = OTLPSpan(traceID: [], spanID: [])
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1: out.traceID = try r.bytesField(tag, "Span.trace_id")
                case 2: out.spanID = try r.bytesField(tag, "Span.span_id")
                case 3: out.traceState = try r.string(tag, "Span.trace_state")
                case 4: out.parentSpanID = try r.bytesField(tag, "Span.parent_span_id")
                case 5: out.name = try r.string(tag, "Span.name")
                case 6: out.kind = OTLPSpanKind(rawValue: try r.int32(tag, "Span.kind"))
                case 7: out.startTimeUnixNano = try r.fixed64(tag, "Span.start_time_unix_nano")
                case 8: out.endTimeUnixNano = try r.fixed64(tag, "Span.end_time_unix_nano")
                case 9:
                    var m = try r.message(tag, "Span.attributes")
                    out.attributes.append(try keyValue(&m, depth: 0))
                case 10: out.droppedAttributesCount = try r.uint32(tag, "Span.dropped_attributes_count")
                case 11:
                    var m = try r.message(tag, "Span.events")
                    out.events.append(try event(&m))
                case 12: out.droppedEventsCount = try r.uint32(tag, "Span.dropped_events_count")
                case 13:
                    var m = try r.message(tag, "Span.links")
                    out.links.append(try link(&m))
                case 14: out.droppedLinksCount = try r.uint32(tag, "Span.dropped_links_count")
                case 15:
                    var m = try r.message(tag, "Span.status")
                    out.status = try status(&m)
                case 16: out.flags = try r.fixed32(tag, "Span.flags")
                default: try r.skip(tag)
                }
            }
            return out
        }

        func event(_ r: inout ProtobufReader) throws(OTLPDecodingError) -> OTLPEvent {
            var out = OTLPEvent()
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1: out.timeUnixNano = try r.fixed64(tag, "Span.Event.time_unix_nano")
                case 2: out.name = try r.string(tag, "Span.Event.name")
                case 3:
                    var m = try r.message(tag, "Span.Event.attributes")
                    out.attributes.append(try keyValue(&m, depth: 0))
                case 4: out.droppedAttributesCount = try r.uint32(tag, "Span.Event.dropped_attributes_count")
                default: try r.skip(tag)
                }
            }
            return out
        }

        func link(_ r: inout ProtobufReader) throws(OTLPDecodingError) -> OTLPLink {
            var out = OTLPLink(traceID: [], spanID: [])
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1: out.traceID = try r.bytesField(tag, "Span.Link.trace_id")
                case 2: out.spanID = try r.bytesField(tag, "Span.Link.span_id")
                case 3: out.traceState = try r.string(tag, "Span.Link.trace_state")
                case 4:
                    var m = try r.message(tag, "Span.Link.attributes")
                    out.attributes.append(try keyValue(&m, depth: 0))
                case 5: out.droppedAttributesCount = try r.uint32(tag, "Span.Link.dropped_attributes_count")
                case 6: out.flags = try r.fixed32(tag, "Span.Link.flags")
                default: try r.skip(tag)
                }
            }
            return out
        }

        func status(_ r: inout ProtobufReader) throws(OTLPDecodingError) -> OTLPStatus {
            var out = OTLPStatus()
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 2: out.message = try r.string(tag, "Status.message")
                case 3: out.code = OTLPStatusCode(rawValue: try r.int32(tag, "Status.code"))
                default: try r.skip(tag)
                }
            }
            return out
        }

        func keyValue(_ r: inout ProtobufReader, depth: Int) throws(OTLPDecodingError) -> OTLPKeyValue {
            var out = OTLPKeyValue("", .empty)
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1: out.key = try r.string(tag, "KeyValue.key")
                case 2:
                    var m = try r.message(tag, "KeyValue.value")
                    out.value = try anyValue(&m, depth: depth)
                default: try r.skip(tag)
                }
            }
            return out
        }

        /// `AnyValue` is a oneof: the last member on the wire wins, as in every protobuf implementation.
        func anyValue(_ r: inout ProtobufReader, depth: Int) throws(OTLPDecodingError) -> OTLPAnyValue {
            guard depth < limits.maxDepth else { throw .tooDeep(offset: r.index, limit: limits.maxDepth) }
            var out = OTLPAnyValue.empty
            while !r.isAtEnd {
                let tag = try r.readTag()
                switch tag.field {
                case 1: out = .string(try r.string(tag, "AnyValue.string_value"))
                case 2: out = .bool(try r.varint(tag, "AnyValue.bool_value") != 0)
                case 3: out = .int(Int64(bitPattern: try r.varint(tag, "AnyValue.int_value")))
                case 4: out = .double(Double(bitPattern: try r.fixed64(tag, "AnyValue.double_value")))
                case 5:
                    var m = try r.message(tag, "AnyValue.array_value")
                    var values: [OTLPAnyValue] = []
                    while !m.isAtEnd {
                        let t = try m.readTag()
                        if t.field == 1 {
                            var v = try m.message(t, "ArrayValue.values")
                            values.append(try anyValue(&v, depth: depth + 1))
                        } else {
                            try m.skip(t)
                        }
                    }
                    out = .array(values)
                case 6:
                    var m = try r.message(tag, "AnyValue.kvlist_value")
                    var values: [OTLPKeyValue] = []
                    while !m.isAtEnd {
                        let t = try m.readTag()
                        if t.field == 1 {
                            var v = try m.message(t, "KeyValueList.values")
                            values.append(try keyValue(&v, depth: depth + 1))
                        } else {
                            try m.skip(t)
                        }
                    }
                    out = .kvlist(values)
                case 7: out = .bytes(try r.bytesField(tag, "AnyValue.bytes_value"))
                default: try r.skip(tag)
                }
            }
            return out
        }
    }
}

/// The id rules of `trace.proto`: a 16-byte trace id and an 8-byte span id, neither all zeros, and an empty or
/// 8-byte parent.
enum OTLPIDCheck {
    static func reason(for span: OTLPSpan) -> OTLPSpanRejection.Reason? {
        if span.traceID.count != 16 { return .traceIDLength(span.traceID.count) }
        if span.spanID.count != 8 { return .spanIDLength(span.spanID.count) }
        if !span.parentSpanID.isEmpty, span.parentSpanID.count != 8 { return .parentSpanIDLength(span.parentSpanID.count) }
        if span.traceID.allSatisfy({ $0 == 0 }) { return .zeroID(field: "traceId") }
        if span.spanID.allSatisfy({ $0 == 0 }) { return .zeroID(field: "spanId") }
        return nil
    }
}
