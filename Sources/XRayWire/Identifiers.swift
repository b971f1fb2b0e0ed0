/// Checks on X-Ray identifiers, on bytes so the ingest path allocates nothing.
public enum XRayID {
    /// True for `1-` + 8 lowercase hex + `-` + 24 lowercase hex (35 characters).
    public static func isTraceID(_ s: String) -> Bool {
        isTraceID(bytes: s.utf8)
    }

    public static func isTraceID(bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count == 35 else { return false }
        for (i, b) in bytes.enumerated() {
            switch i {
            case 0: if b != UInt8(ascii: "1") { return false }
            case 1, 10: if b != UInt8(ascii: "-") { return false }
            default: if !isLowerHex(b) { return false }
            }
        }
        return true
    }

    /// True for 16 lowercase hex digits: segment, subsegment and exception ids.
    public static func isEntityID(_ s: String) -> Bool {
        let u = s.utf8
        return u.count == 16 && u.allSatisfy(isLowerHex)
    }

    @inline(__always) static func isLowerHex(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66)
    }

    /// Random ids from the system generator, in X-Ray's formats.
    public static func newEntityID<G: RandomNumberGenerator>(using generator: inout G) -> String {
        hex(UInt64.random(in: 1...UInt64.max, using: &generator), digits: 16)
    }

    public static func newEntityID() -> String {
        var g = SystemRandomNumberGenerator()
        return newEntityID(using: &g)
    }

    /// A trace id whose time part is `epochSeconds`, as every SDK makes them.
    public static func newTraceID(epochSeconds: Int) -> String {
        var g = SystemRandomNumberGenerator()
        let high = UInt32.random(in: 0...UInt32.max, using: &g)
        let low = UInt64.random(in: 0...UInt64.max, using: &g)
        return "1-" + hex(UInt64(UInt32(truncatingIfNeeded: epochSeconds)), digits: 8) + "-"
            + hex(UInt64(high), digits: 8) + hex(low, digits: 16)
    }

    public static func hex(_ value: UInt64, digits: Int) -> String {
        let s = String(value, radix: 16)
        return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
    }

    /// The W3C `traceparent` form of an X-Ray trace and parent id (W3C Trace Context, and the OpenTelemetry AWS X-Ray propagator).
    public static func traceparent(traceID: String, parentID: String, sampled: Bool) -> String? {
        guard isTraceID(traceID), isEntityID(parentID) else { return nil }
        let u = Array(traceID.utf8)
        let w3c = String(decoding: u[2..<10] + u[11..<35], as: UTF8.self)
        return "00-\(w3c)-\(parentID)-\(sampled ? "01" : "00")"
    }

    /// The X-Ray form of a 32-hex W3C trace id: the first 8 digits become the time part.
    public static func traceID(fromW3C w3c: String) -> String? {
        let u = Array(w3c.utf8)
        guard u.count == 32, u.allSatisfy(isLowerHex) else { return nil }
        return "1-" + String(decoding: u[0..<8], as: UTF8.self) + "-" + String(decoding: u[8..<32], as: UTF8.self)
    }
}
