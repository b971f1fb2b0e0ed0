import XRayWire

/// Parsing of `xray run` option values, kept here so tests reach it.
public enum RunArguments {
    /// `key=value` for `--annotation`: `true`/`false` become booleans, numbers numbers, anything else a string.
    /// Keys are letters, digits and `_`, the only ones X-Ray filters can use.
    public static func annotation(_ text: String) -> Entity.Annotation? {
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let key = String(text[..<eq]), value = String(text[text.index(after: eq)...])
        guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { return nil }
        if value == "true" { return .init(key: key, value: .bool(true)) }
        if value == "false" { return .init(key: key, value: .bool(false)) }
        if let d = Double(value), d.isFinite { return .init(key: key, value: .number(d)) }
        return .init(key: key, value: .string(value))
    }

    /// Durations like `500ms`, `2s`, `1.5m`, `1h`; a bare number is seconds.
    public static func seconds(parsing text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let v = Double(text.dropLast(suffix.count)), v >= 0, v.isFinite else { return nil }
            return v * scale
        }
        guard let v = Double(text), v >= 0, v.isFinite else { return nil }
        return v
    }
}
