import XRayWire

/// A span's attributes in their sent order, from which each translator table takes the keys it uses; what is
/// left goes to metadata (the Collector's `filtered` maps in `exporter/awsxrayexporter/internal/translator`).
struct SpanAttributes {
    private(set) var list: [OTLPKeyValue]

    init(_ list: [OTLPKeyValue]) {
        // OTLP keys are unique; when a sender repeats one, the first wins everywhere.
        var seen = Set<String>()
        self.list = list.filter { seen.insert($0.key).inserted }
    }

    func get(_ key: String) -> OTLPAnyValue? { list.first { $0.key == key }?.value }

    func string(_ key: String) -> String? { get(key)?.stringValue }

    func contains(_ key: String) -> Bool { list.contains { $0.key == key } }

    var isEmpty: Bool { list.isEmpty }

    mutating func remove(_ keys: Set<String>) {
        list.removeAll { keys.contains($0.key) }
    }

    mutating func remove(_ key: String) {
        list.removeAll { $0.key == key }
    }

    mutating func append(_ kv: OTLPKeyValue) {
        if !contains(kv.key) { list.append(kv) }
    }
}

extension OTLPAnyValue {
    /// An integer attribute, also when sent as a decimal string (some instrumentations do).
    var integer: Int64? {
        switch self {
        case .int(let i): i
        case .string(let s): Int64(s)
        case .double(let d) where d.rounded() == d && abs(d) < 9e18: Int64(d)
        default: nil
        }
    }

    /// The value as it appears in segment metadata: `pcommon.Value.AsRaw` then JSON, so bytes become base64 and
    /// an unset value is left out.
    var metadataJSON: JSONValue? {
        switch self {
        case .empty: nil
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        case .int(let i): .number(JSONNumber(text: String(i)))
        case .double(let d): d.isFinite ? .number(JSONNumber(d)) : .string("\(d)")
        case .array(let values): .array(values.map { $0.metadataJSON ?? .null })
        case .kvlist(let kvs):
            .object(JSONObject(kvs.compactMap { kv in kv.value.metadataJSON.map { (kv.key, $0) } }))
        case .bytes(let b): .string(Base64.encode(b))
        }
    }

    /// Annotations hold only strings, numbers and booleans (X-Ray segment documents, "Annotations").
    var annotationJSON: JSONValue? {
        switch self {
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        case .int(let i): .number(JSONNumber(text: String(i)))
        case .double(let d) where d.isFinite: .number(JSONNumber(d))
        default: nil
        }
    }
}
