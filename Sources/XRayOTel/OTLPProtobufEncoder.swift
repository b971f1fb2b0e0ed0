/// Encodes an `OTLPRequest` as a binary protobuf `ExportTraceServiceRequest`: what `OTLPProtobufDecoder` reads
/// back to an equal value. Rejected spans are not encoded.
public enum OTLPProtobufEncoder {
    public static func encode(_ request: OTLPRequest) -> [UInt8] {
        var w = ProtobufWriter()
        for rs in request.resourceSpans {
            w.messageField(1) { w in
                w.messageField(1) { w in
                    attributes(rs.resource.attributes, field: 1, into: &w)
                    w.varintField(2, UInt64(rs.resource.droppedAttributesCount))
                }
                for ss in rs.scopeSpans {
                    w.messageField(2) { w in
                        w.messageField(1) { w in
                            w.stringField(1, ss.scope.name)
                            w.stringField(2, ss.scope.version)
                            attributes(ss.scope.attributes, field: 3, into: &w)
                            w.varintField(4, UInt64(ss.scope.droppedAttributesCount))
                        }
                        for span in ss.spans {
                            w.messageField(2) { w in self.span(span, into: &w) }
                        }
                        w.stringField(3, ss.schemaURL)
                    }
                }
                w.stringField(3, rs.schemaURL)
            }
        }
        return w.bytes
    }

    static func span(_ s: OTLPSpan, into w: inout ProtobufWriter) {
        w.bytesField(1, s.traceID)
        w.bytesField(2, s.spanID)
        w.stringField(3, s.traceState)
        w.bytesField(4, s.parentSpanID)
        w.stringField(5, s.name)
        w.int32Field(6, s.kind.rawValue)
        w.fixed64Field(7, s.startTimeUnixNano)
        w.fixed64Field(8, s.endTimeUnixNano)
        attributes(s.attributes, field: 9, into: &w)
        w.varintField(10, UInt64(s.droppedAttributesCount))
        for e in s.events {
            w.messageField(11) { w in
                w.fixed64Field(1, e.timeUnixNano)
                w.stringField(2, e.name)
                attributes(e.attributes, field: 3, into: &w)
                w.varintField(4, UInt64(e.droppedAttributesCount))
            }
        }
        w.varintField(12, UInt64(s.droppedEventsCount))
        for l in s.links {
            w.messageField(13) { w in
                w.bytesField(1, l.traceID)
                w.bytesField(2, l.spanID)
                w.stringField(3, l.traceState)
                attributes(l.attributes, field: 4, into: &w)
                w.varintField(5, UInt64(l.droppedAttributesCount))
                w.fixed32Field(6, l.flags)
            }
        }
        w.varintField(14, UInt64(s.droppedLinksCount))
        w.messageField(15) { w in
            w.stringField(2, s.status.message)
            w.int32Field(3, s.status.code.rawValue)
        }
        w.fixed32Field(16, s.flags)
    }

    static func attributes(_ list: [OTLPKeyValue], field: UInt64, into w: inout ProtobufWriter) {
        for kv in list {
            w.messageField(field) { w in keyValue(kv, into: &w) }
        }
    }

    static func keyValue(_ kv: OTLPKeyValue, into w: inout ProtobufWriter) {
        w.stringField(1, kv.key)
        w.messageField(2) { w in anyValue(kv.value, into: &w) }
    }

    /// Oneof members are written even when they hold their type's default, so `.string("")` and `.int(0)` keep
    /// their type through a round trip.
    static func anyValue(_ v: OTLPAnyValue, into w: inout ProtobufWriter) {
        switch v {
        case .empty: break
        case .string(let s): w.stringField(1, s, always: true)
        case .bool(let b):
            w.tag(2, .varint)
            w.varint(b ? 1 : 0)
        case .int(let i):
            w.tag(3, .varint)
            w.varint(UInt64(bitPattern: i))
        case .double(let d):
            w.tag(4, .fixed64)
            let bits = d.bitPattern
            for k in 0..<8 { w.appendRaw(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
        case .array(let values):
            w.messageField(5) { w in
                for value in values { w.messageField(1) { w in anyValue(value, into: &w) } }
            }
        case .kvlist(let values):
            w.messageField(6) { w in
                for kv in values { w.messageField(1) { w in keyValue(kv, into: &w) } }
            }
        case .bytes(let b): w.bytesField(7, b, always: true)
        }
    }
}
