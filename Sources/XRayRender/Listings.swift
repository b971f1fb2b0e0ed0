import XRayWire

/// Output formats of listings (`xray inspect traces`, `rejects`).
public enum ListingFormat: String, Sendable, CaseIterable {
    case table, json, jsonl, csv
}

/// Renders trace summaries: a table for people, `GetTraceSummaries` field names for programs.
public enum TraceListing {
    public static func render(_ traces: [TraceSummary], format: ListingFormat, style: TerminalStyle) -> String {
        switch format {
        case .table: return table(traces, style: style)
        case .json:
            return JSONWriter.prettyString(.object(JSONObject([("TraceSummaries", .array(traces.map(json)))]))) + "\n"
        case .jsonl: return traces.map { JSONWriter.string(json($0)) + "\n" }.joined()
        case .csv:
            var out = "id,start,duration_ms,response_time_ms,service,method,url,status,fault,error,throttle,partial,entities\n"
            for t in traces {
                out += CSV.row([
                    t.traceID, Format.timestamp(t.startTime), Durations.milliseconds(t.duration),
                    t.responseTime.map(Durations.milliseconds) ?? "", t.rootName ?? "", t.httpMethod ?? "",
                    t.httpURL ?? "", t.httpStatus.map(String.init) ?? "", String(t.hasFault), String(t.hasError),
                    String(t.hasThrottle), String(t.isPartial), String(t.entityCount),
                ])
            }
            return out
        }
    }

    static func flags(_ t: TraceSummary) -> [String] {
        var f: [String] = []
        if t.hasFault { f.append("fault") }
        if t.hasError { f.append("error") }
        if t.hasThrottle { f.append("throttle") }
        if t.isPartial { f.append("partial") }
        return f
    }

    static func table(_ traces: [TraceSummary], style: TerminalStyle) -> String {
        let header = ["TRACE ID", "START", "DURATION", "SERVICE", "METHOD", "URL", "STATUS", "FLAGS", "ENTITIES"]
        var rows: [[String]] = []
        for t in traces {
            rows.append([
                t.traceID, Format.localTimestamp(t.startTime), Durations.milliseconds(t.duration) + "ms",
                t.rootName ?? "-", t.httpMethod ?? "-", t.httpURL.map(URLPath.target(of:)) ?? "-",
                t.httpStatus.map(String.init) ?? "-", flags(t).joined(separator: ",").ifEmpty("ok"), String(t.entityCount),
            ])
        }
        return TextTable.render(header: header, rows: rows, style: style) { row, column, text in
            guard column == 7 else { return text }
            if row[7].contains("fault") { return style.red(text) }
            if row[7].contains("error") || row[7].contains("throttle") { return style.yellow(text) }
            return style.green(text)
        }
    }

    /// A summary in the `GetTraceSummaries` field names (GetTraceSummaries in the X-Ray API reference).
    public static func json(_ t: TraceSummary) -> JSONValue {
        var http = JSONObject()
        if let u = t.httpURL { http["HttpURL"] = .string(u) }
        if let s = t.httpStatus { http["HttpStatus"] = .number(JSONNumber(s)) }
        if let m = t.httpMethod { http["HttpMethod"] = .string(m) }
        var o = JSONObject([
            ("Id", .string(t.traceID)),
            ("StartTime", .number(JSONNumber(t.startTime))),
            ("Duration", .number(JSONNumber(TraceViews.roundMicro(t.duration)))),
        ])
        if let r = t.responseTime { o["ResponseTime"] = .number(JSONNumber(TraceViews.roundMicro(r))) }
        o["HasFault"] = .bool(t.hasFault)
        o["HasError"] = .bool(t.hasError)
        o["HasThrottle"] = .bool(t.hasThrottle)
        o["IsPartial"] = .bool(t.isPartial)
        o["Http"] = .object(http)
        if let name = t.rootName {
            var service = JSONObject([("Name", .string(name)), ("Names", .array([.string(name)]))])
            if let origin = t.rootOrigin { service["Type"] = .string(origin) }
            o["EntryPoint"] = .object(service)
        }
        o["EntityCount"] = .number(JSONNumber(t.entityCount))
        return .object(o)
    }

    /// The bytes `JSONWriter.string` writes for `json(t)` with `http` (compact JSON) in place of its `Http`
    /// and `members` (compact object members, without braces) after its own, written straight into `out`:
    /// a listing of thousands of traces builds no `JSONValue` and no `String` per trace.
    package static func writeJSON(_ t: TraceSummary, http: UnsafeRawBufferPointer, members: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(literal: "{\"Id\":")
        JSONBytes.string(t.traceID, into: &out)
        out.append(literal: ",\"StartTime\":")
        JSONBytes.number(JSONNumber(t.startTime), into: &out)
        out.append(literal: ",\"Duration\":")
        JSONBytes.number(JSONNumber(TraceViews.roundMicro(t.duration)), into: &out)
        if let r = t.responseTime {
            out.append(literal: ",\"ResponseTime\":")
            JSONBytes.number(JSONNumber(TraceViews.roundMicro(r)), into: &out)
        }
        out.append(literal: ",\"HasFault\":")
        JSONBytes.bool(t.hasFault, into: &out)
        out.append(literal: ",\"HasError\":")
        JSONBytes.bool(t.hasError, into: &out)
        out.append(literal: ",\"HasThrottle\":")
        JSONBytes.bool(t.hasThrottle, into: &out)
        out.append(literal: ",\"IsPartial\":")
        JSONBytes.bool(t.isPartial, into: &out)
        out.append(literal: ",\"Http\":")
        out.append(contentsOf: http)
        if let name = t.rootName {
            out.append(literal: ",\"EntryPoint\":{\"Name\":")
            JSONBytes.string(name, into: &out)
            out.append(literal: ",\"Names\":[")
            JSONBytes.string(name, into: &out)
            out.append(UInt8(ascii: "]"))
            if let origin = t.rootOrigin {
                out.append(literal: ",\"Type\":")
                JSONBytes.string(origin, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(literal: ",\"EntityCount\":")
        JSONBytes.number(JSONNumber(t.entityCount), into: &out)
        if !members.isEmpty {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: members)
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// Renders rejected input: when, from where, why, and the bytes (text when UTF-8, else base64).
public enum RejectListing {
    public static func render(_ rejects: [RejectRecord], format: ListingFormat, style: TerminalStyle) -> String {
        switch format {
        case .table:
            var out = ""
            for r in rejects {
                out += style.bold("#\(r.id)") + "  " + Format.localTimestamp(r.receivedAt) + "  " + TerminalText.escape(r.source ?? "-") + "\n"
                out += "  " + style.red(TerminalText.escape(r.reason)) + "\n"
                let (encoding, text) = payload(r.raw)
                out +=
                    "  " + style.dim(encoding + ": ") + TerminalText.escape(String(text.prefix(400)).replacingNewlines()) + (text.count > 400 ? "…" : "") + "\n"
            }
            return out
        case .json:
            return JSONWriter.prettyString(.array(rejects.map(json))) + "\n"
        case .jsonl:
            return rejects.map { JSONWriter.string(json($0)) + "\n" }.joined()
        case .csv:
            var out = "id,received_at,source,reason,encoding,raw\n"
            for r in rejects {
                let (encoding, text) = payload(r.raw)
                out += CSV.row([String(r.id), Format.timestamp(r.receivedAt), r.source ?? "", r.reason, encoding, text])
            }
            return out
        }
    }

    static func json(_ r: RejectRecord) -> JSONValue {
        let (encoding, text) = payload(r.raw)
        return .object(
            JSONObject([
                ("id", .number(JSONNumber(r.id))),
                ("received_at", .number(JSONNumber(r.receivedAt))),
                ("source", r.source.map { .string($0) } ?? .null),
                ("reason", .string(r.reason)),
                ("encoding", .string(encoding)),
                ("raw", .string(text)),
            ]))
    }

    /// `("utf8", text)` when the bytes are valid UTF-8, else `("base64", ...)`.
    public static func payload(_ raw: [UInt8]) -> (String, String) {
        if let s = String(validating: raw, as: UTF8.self) { return ("utf8", s) }
        return ("base64", Base64.encode(raw))
    }
}

enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }

    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    func replacingNewlines() -> String {
        String(map { $0 == "\n" ? "⏎" : $0 })
    }
}
