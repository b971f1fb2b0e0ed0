import XRayWire

/// `error`, `fault`, `throttle` and `cause` (`cause.go` `makeCause`).
///
/// HTTP status decides first: 4xx → error (429 also throttle), 5xx → fault; without one in 400–599 a span with
/// status ERROR is a fault. Exceptions come from `exception` events, their stacks parsed by the SDK language
/// of the resource (`telemetry.sdk.language`).
enum CauseTable {
    struct Result {
        var isError = false
        var isFault = false
        var isThrottle = false
        var cause: JSONValue?
    }

    static func make(_ span: OTLPSpan, resource: SpanAttributes, _ attributes: inout SpanAttributes) -> Result {
        var result = Result()
        let isAWSSDK = span.attribute("rpc.system")?.stringValue == "aws-api"
        let hasExceptions = span.events.contains { $0.name == "exception" || (isAWSSDK && $0.name == "HTTP request failure") }
        let isRemote = span.kind == .client || span.kind == .producer

        if hasExceptions {
            let language = resource.string("telemetry.sdk.language") ?? ""
            var exceptions: [CauseException] = []
            for (i, event) in span.events.enumerated() {
                let e = SpanAttributes(event.attributes)
                let salt = "exception \(i)"
                if event.name == "exception" {
                    exceptions += StackTraces.parse(
                        type: e.string("exception.type") ?? "", message: e.string("exception.message") ?? "",
                        stacktrace: e.string("exception.stacktrace") ?? "", remote: isRemote, language: language,
                        ids: IDSource(spanID: span.spanID, salt: salt))
                } else if isAWSSDK, event.name == "HTTP request failure",
                    let code = e.get("http.response.status_code"), let message = e.string("aws.http.error_message")
                {
                    // `code@epoch seconds with 6 decimals@message`, as the Collector writes it.
                    let micros = event.timeUnixNano / 1000
                    let fraction = String(micros % 1_000_000)
                    let epoch = "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
                    exceptions.append(
                        CauseException(
                            id: DerivedID.hexID(from: span.spanID, salt: salt), type: "aws.http.error.event",
                            message: code.asString + "@" + epoch + "@" + message, remote: true))
                }
            }
            result.cause = .object(JSONObject([("exceptions", .array(exceptions.map(\.json)))]))
        } else if span.status.code == .error {
            var message = span.status.message
            if let text = attributes.string("http.status_text") {
                if message.isEmpty { message = text }
                attributes.remove("http.status_text")
            }
            if !message.isEmpty {
                let exception = CauseException(id: DerivedID.hexID(from: span.spanID, salt: "status"), type: "", message: message, remote: nil)
                result.cause = .object(JSONObject([("exceptions", .array([exception.json]))]))
            }
        }

        let code = (span.attribute("http.status_code") ?? span.attribute("http.response.status_code"))?.integer
        switch code {
        case let c? where (400...499).contains(c):
            result.isError = true
            result.isThrottle = c == 429
        case let c? where (500...599).contains(c):
            result.isFault = true
        default:
            result.isFault = span.status.code == .error
        }
        return result
    }
}

/// One entry of `cause.exceptions`.
struct CauseException {
    var id: String
    var type: String
    var message: String
    var remote: Bool?
    var stack: [StackFrame] = []
    var cause: String?

    var json: JSONValue {
        var o = JSONObject()
        o["id"] = .string(id)
        o["type"] = .string(type)
        o["message"] = .string(message)
        if let remote { o["remote"] = .bool(remote) }
        if !stack.isEmpty { o["stack"] = .array(stack.map(\.json)) }
        if let cause { o["cause"] = .string(cause) }
        return .object(o)
    }
}

struct StackFrame: Equatable {
    var path: String
    var line: Int
    var label: String

    var json: JSONValue {
        .object(JSONObject([("path", .string(path)), ("line", .number(JSONNumber(line))), ("label", .string(label))]))
    }
}

/// Exception ids for one event, derived from the span id.
struct IDSource {
    var spanID: [UInt8]
    var salt: String
    var next = 0

    init(spanID: [UInt8], salt: String) {
        self.spanID = spanID
        self.salt = salt
    }

    mutating func make() -> String {
        defer { next += 1 }
        return DerivedID.hexID(from: spanID, salt: "\(salt) \(next)")
    }
}

/// Stack-trace parsers by SDK language (`cause.go` `parseException`, `fill*Stacktrace`). Languages without a
/// parser here (Go's goroutine dumps) keep the exception with its type and message and no frames.
enum StackTraces {
    /// At most this many frames per exception, so a hostile trace costs bounded output.
    static let maxFrames = 256

    static func parse(
        type: String, message: String, stacktrace: String, remote: Bool, language: String,
        ids: IDSource
    ) -> [CauseException] {
        var ids = ids
        var exceptions = [CauseException(id: ids.make(), type: type, message: message, remote: remote)]
        guard !stacktrace.isEmpty else { return exceptions }
        switch language {
        case "python": python(stacktrace, &exceptions, &ids)
        case "java", "php": java(stacktrace, &exceptions, &ids)
        case "javascript", "nodejs", "webjs": javascript(stacktrace, &exceptions)
        case "dotnet": dotnet(stacktrace, &exceptions)
        default: break
        }
        return exceptions
    }

    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    static func append(_ frame: StackFrame, to exception: inout CauseException) {
        if exception.stack.count < maxFrames { exception.stack.append(frame) }
    }

    /// Python tracebacks read bottom-up: innermost frame first, and each "During handling of the above exception"
    /// starts the exception that was being handled, linked as the `cause` of the one before.
    static func python(_ text: String, _ exceptions: inout [CauseException], _ ids: inout IDSource) {
        let lines = lines(text)
        var index = lines.count - 2
        guard index >= 0 else { return }
        var current = 0
        let remote = exceptions[0].remote
        while index >= 0 {
            let line = lines[index]
            if line.hasPrefix("  File ") {
                let parts = line.split(separator: ",", omittingEmptySubsequences: false)
                if parts.count == 3, parts[0].count >= 9 {
                    let file = String(parts[0].dropFirst(8).dropLast())
                    let number = parts[1].hasPrefix(" line ") ? Int(parts[1].dropFirst(6)) ?? 0 : 0
                    let label = parts[2].hasPrefix(" in ") ? String(parts[2].dropFirst(4)) : ""
                    append(StackFrame(path: file, line: number, label: label), to: &exceptions[current])
                }
            } else if line.hasPrefix("During handling of the above exception, another exception occurred:") {
                var next = index - 1
                while next >= 0, !lines[next].hasPrefix("  File ") { next -= 1 }
                guard next >= 0, next + 2 <= index - 1 else { return }
                let message = lines[(next + 2)..<(index - 1)].joined(separator: "\n")
                guard let colon = message.firstIndex(of: ":") else { return }
                let causeType = String(message[..<colon])
                let causeMessage = String(message[colon...].dropFirst(2))
                let id = ids.make()
                exceptions[current].cause = id
                exceptions.append(CauseException(id: id, type: causeType, message: causeMessage, remote: remote))
                current = exceptions.count - 1
                index = next
                continue
            }
            index -= 1
        }
    }

    /// Java (and PHP, which prints the same way): `\tat label(path:line)` frames, `Caused by: Type: message`.
    static func java(_ text: String, _ exceptions: inout [CauseException], _ ids: inout IDSource) {
        let lines = lines(text)
        guard lines.count > 1 else { return }
        var current = 0
        var i = 1
        func isFrame(_ l: Substring) -> Bool { l.hasPrefix("\tat ") && l.contains("(") && l.hasSuffix(")") }
        while i < lines.count {
            let line = lines[i]
            if isFrame(line), let paren = line.firstIndex(of: "(") {
                var label = line[line.index(line.startIndex, offsetBy: 4)..<paren]
                if let slash = label.firstIndex(of: "/") { label = label[label.index(after: slash)...] }
                var path = line[line.index(after: paren)..<line.index(before: line.endIndex)]
                var number = 0
                if let colon = path.firstIndex(of: ":") {
                    number = Int(path[path.index(after: colon)...]) ?? 0
                    path = path[..<colon]
                }
                append(StackFrame(path: String(path), line: number, label: String(label)), to: &exceptions[current])
                i += 1
            } else if line.hasPrefix("Caused by: ") {
                var causeType = String(line.dropFirst(11))
                var causeMessage = ""
                if let colon = causeType.firstIndex(of: ":") {
                    causeMessage = String(causeType[colon...].dropFirst(2))
                    causeType = String(causeType[..<colon])
                }
                i += 1
                while i < lines.count, !isFrame(lines[i]) {
                    causeMessage += lines[i]
                    i += 1
                }
                let id = ids.make()
                exceptions[current].cause = id
                exceptions.append(CauseException(id: id, type: causeType, message: causeMessage, remote: exceptions[0].remote))
                current = exceptions.count - 1
            } else {
                i += 1
            }
        }
    }

    /// V8 stacks: `    at label (path:line:column)` or `    at path:line:column`.
    static func javascript(_ text: String, _ exceptions: inout [CauseException]) {
        for line in lines(text).dropFirst() where line.hasPrefix("    at ") {
            var label = ""
            var path = ""
            if let paren = line.firstIndex(of: "("), line.hasSuffix(")") {
                label = String(line[line.index(line.startIndex, offsetBy: 7)..<paren])
                path = String(line[line.index(after: paren)..<line.index(before: line.endIndex)])
            } else if !line.contains("(") {
                path = String(line.dropFirst(7))
            }
            var number = 0
            let colons = path.indices.filter { path[$0] == ":" }
            if colons.count >= 2 {
                number = Int(path[path.index(after: colons[0])..<colons[1]]) ?? 0
                path = String(path[..<colons[0]])
            } else if colons.isEmpty, path.contains("native") {
                path = "native"
            }
            if !path.isEmpty || !label.isEmpty || number != 0 {
                append(StackFrame(path: path, line: number, label: label), to: &exceptions[0])
            }
        }
    }

    /// .NET: `   at Label(args) in path:line N`.
    static func dotnet(_ text: String, _ exceptions: inout [CauseException]) {
        for raw in lines(text).dropFirst() {
            let line = raw.trimmingSpaces
            guard line.hasPrefix("at ") else { continue }
            if let inRange = line.firstRange(of: " in ") {
                let label = String(line[line.index(line.startIndex, offsetBy: 3)..<inRange.lowerBound])
                var path = String(line[inRange.upperBound...])
                var number = 0
                if let colon = path.lastIndex(of: ":") {
                    var lineText = path[path.index(after: colon)...]
                    if lineText.hasPrefix("line") { lineText = lineText.dropFirst(5) }
                    number = Int(lineText) ?? 0
                    path = String(path[..<colon])
                }
                append(StackFrame(path: path, line: number, label: label), to: &exceptions[0])
            } else if let close = line.lastIndex(of: ")") {
                let label = String(line[line.index(line.startIndex, offsetBy: 3)...close])
                append(StackFrame(path: "", line: 0, label: label), to: &exceptions[0])
            }
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
