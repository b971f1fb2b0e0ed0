import XRaySystem
import XRayWire

/// Reads input files with the limits and error messages of `xray rules`.
public enum InputFile {
    /// The whole file, or at most `limit + 1` bytes so callers can tell it is over the limit; `-` is stdin.
    ///
    /// - Throws: `SamplingError.unreadable` when the file is missing or cannot be read.
    public static func bytes(at path: String, limit: Int = Int.max) throws(SamplingError) -> [UInt8] {
        do {
            return try path == "-" ? FileIO.readAll(0, limit: limit) : FileIO.readFile(path, limit: limit)
        } catch {
            throw .unreadable(file: path, reason: error.reason)
        }
    }

    /// Reads and loads a rules file, refusing one over `RuleDocument.maximumFileSize`.
    public static func loadRules(_ path: String, format: RuleFileFormat? = nil) throws(SamplingError) -> RuleDocument {
        try RuleDocument.load(bytes(at: path, limit: RuleDocument.maximumFileSize), file: path, format: format)
    }
}

/// One line of a requests file: the request and, for simulation, its time.
public struct TimedRequest: Sendable, Hashable {
    public var request: SamplingRequest
    /// Epoch seconds (`"t"`), when given.
    public var time: Double?

    public init(request: SamplingRequest, time: Double? = nil) {
        self.request = request
        self.time = time
    }
}

/// Reads JSON Lines requests: `{"host","method","path","service_name","service_type","t"}`, any key absent.
public enum RequestReader {
    /// Lines longer than this are refused; a request is a few hundred bytes.
    public static let maximumLineLength = 64 * 1024

    /// Calls `body` for each non-blank line of `bytes`, in order.
    ///
    /// - Throws: `SamplingError.requestLineTooLong` or `.invalidRequest`, naming the 1-based line.
    public static func forEach(
        in bytes: [UInt8], file: String, _ body: (TimedRequest) -> Void
    ) throws(SamplingError) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(SamplingError) in
            var start = 0
            var lineNumber = 0
            while start < buffer.count {
                lineNumber += 1
                var end = start
                while end < buffer.count, buffer[end] != 0x0A { end += 1 }
                defer { start = end + 1 }
                guard end - start <= maximumLineLength else {
                    throw .requestLineTooLong(file: file, line: lineNumber, length: end - start, limit: maximumLineLength)
                }
                var isBlank = true
                for i in start..<end where buffer[i] != 0x20 && buffer[i] != 0x09 && buffer[i] != 0x0D {
                    isBlank = false
                    break
                }
                if isBlank { continue }
                let line = UnsafeBufferPointer(rebasing: buffer[start..<end])
                body(try parseLine(line, file: file, lineNumber: lineNumber))
            }
        }
    }

    /// All requests of `bytes`.
    public static func readAll(_ bytes: [UInt8], file: String) throws(SamplingError) -> [TimedRequest] {
        var requests: [TimedRequest] = []
        try forEach(in: bytes, file: file) { requests.append($0) }
        return requests
    }

    static func parseLine(_ line: UnsafeBufferPointer<UInt8>, file: String, lineNumber: Int) throws(SamplingError)
        -> TimedRequest
    {
        let value: JSONValue
        do {
            value = try JSONParser.parse(buffer: line, options: .init(allowNonFinite: false)).value
        } catch {
            throw .invalidRequest(file: file, line: lineNumber, message: "not JSON at column \(error.position.column): \(error.message)")
        }
        guard case .object(let object) = value else {
            throw .invalidRequest(file: file, line: lineNumber, message: "expected an object, found \(value.typeName)")
        }
        var request = SamplingRequest()
        var time: Double?
        for member in object {
            switch member.key {
            case "host": request.host = try string(member, file: file, line: lineNumber)
            case "method": request.method = try string(member, file: file, line: lineNumber)
            case "path": request.path = try string(member, file: file, line: lineNumber)
            case "service_name": request.serviceName = try string(member, file: file, line: lineNumber)
            case "service_type": request.serviceType = try string(member, file: file, line: lineNumber)
            case "t":
                switch member.value {
                case .number(let n): time = n.double
                case .null: time = nil
                default:
                    throw .invalidRequest(file: file, line: lineNumber, message: "\"t\" must be epoch seconds as a number")
                }
            default: continue
            }
        }
        return TimedRequest(request: request, time: time)
    }

    private static func string(_ member: (key: String, value: JSONValue), file: String, line: Int) throws(SamplingError)
        -> String?
    {
        switch member.value {
        case .string(let s): return s
        case .null: return nil
        default:
            throw .invalidRequest(file: file, line: line, message: "\"\(member.key)\" must be a string or null, found \(member.value.typeName)")
        }
    }
}

/// The segment name the SDKs' `DYNAMIC_NAMING` setting gives a request (`DefaultDynamicNaming.get_name`).
public struct DynamicNaming: Sendable, Hashable {
    public let pattern: WildcardPattern
    public let fallback: String

    public init(pattern: String, fallback: String) {
        self.pattern = WildcardPattern(pattern)
        self.fallback = fallback
    }

    /// The host itself when it matches the pattern, else the fallback name (also when there is no host).
    public func segmentName(host: String?) -> String {
        guard let host, pattern.matches(host) else { return fallback }
        return host
    }
}
