import XRayWire

/// The segment `xray run` records for the command itself, in the shape SDKs use.
struct RunSegment {
    var traceID: String
    var id: String
    var parentID: String?
    var name: String
    var startTime: Double
    var endTime: Double
    var command: [String]
    var pid: Int32?
    var termination: ChildTermination
    var annotations: [Entity.Annotation]
    var workingDirectory: String

    var document: JSONObject {
        var o = JSONObject([
            ("name", .string(RunSegment.cleanName(name))),
            ("id", .string(id)),
            ("trace_id", .string(traceID)),
            ("origin", .string(Launcher.runSegmentOrigin)),
            ("start_time", .number(JSONNumber(text: RunSegment.seconds(startTime)))),
            ("end_time", .number(JSONNumber(text: RunSegment.seconds(endTime)))),
            ("in_progress", .bool(false)),
        ])
        if let parentID { o["parent_id"] = .string(parentID) }
        if !annotations.isEmpty {
            o["annotations"] = .object(
                JSONObject(
                    annotations.map { a in
                        switch a.value {
                        case .string(let s): (a.key, .string(s))
                        case .number(let d): (a.key, .number(JSONNumber(d)))
                        case .bool(let b): (a.key, .bool(b))
                        }
                    }))
        }
        var run = JSONObject([("argv", .array(command.map { .string($0) }))])
        if let pid { run["pid"] = .number(JSONNumber(Int(pid))) }
        run["exit_status"] = .number(JSONNumber(Int(termination.exitStatus)))
        if case .signaled(let n) = termination { run["signal"] = .number(JSONNumber(Int(n))) }
        o["metadata"] = .object(JSONObject([("xray", .object(run))]))
        o["aws"] = .object(JSONObject([("xray", .object(JSONObject([("sdk", .string("xray run"))])))]))
        if let message = failureMessage {
            o["fault"] = .bool(true)
            o["cause"] = .object(
                JSONObject([
                    ("working_directory", .string(workingDirectory)),
                    (
                        "exceptions",
                        .array([
                            .object(
                                JSONObject([
                                    ("id", .string(XRayID.newEntityID())),
                                    ("type", .string(failureType)),
                                    ("message", .string(message)),
                                    ("remote", .bool(false)),
                                ]))
                        ])
                    ),
                ]))
        }
        return o
    }

    var failureMessage: String? {
        switch termination {
        case .exited(0): nil
        case .exited(let s): "\(command.first ?? "command") exited with status \(s)"
        case .signaled(let n): "\(command.first ?? "command") was killed by signal \(n) (\(signalName(n)))"
        case .notStarted(_, let reason): reason
        }
    }

    var failureType: String {
        switch termination {
        case .exited: "NonZeroExit"
        case .signaled: "Signal"
        case .notStarted(let s, _): s == 127 ? "CommandNotFound" : "CommandNotExecutable"
        }
    }

    /// The whole datagram: header line, newline, document.
    func datagram() -> [UInt8] {
        Array(("{\"format\":\"json\",\"version\":1}\n" + JSONWriter.string(.object(document))).utf8)
    }

    /// The largest datagram sent: the Java SDK's 63 KiB (`UDPEmitter.UDP_PACKET_LIMIT`), under both the
    /// 64 KiB the daemon reads and the 65,507 bytes an IPv4 datagram can carry.
    static let datagramLimit = 63 * 1024
    /// Arguments longer than this are cut in the segment when the whole would not fit a datagram.
    static let argumentLimit = 1_024

    /// The datagram, made to fit `datagramLimit`: long arguments are cut with a visible marker, then
    /// arguments past what fits are replaced by a count, then long string annotations are cut.
    /// Also returns what was shortened, for a warning; the stored `runs` row keeps the full argv.
    func fittedDatagram() -> (bytes: [UInt8], shortened: [String]) {
        var bytes = datagram()
        guard bytes.count > Self.datagramLimit else { return (bytes, []) }
        var fitted = self
        var shortened: [String] = []
        let long = command.filter { $0.utf8.count > Self.argumentLimit }.count
        if long > 0 {
            fitted.command = command.map(Self.cut)
            shortened.append(Wording.count(long, "argument") + " over \(Self.argumentLimit) bytes cut")
            bytes = fitted.datagram()
        }
        if bytes.count > Self.datagramLimit {
            var kept: [String] = []
            var size = 0
            // Measured as written in JSON (escapes included); half the datagram leaves room for the rest.
            for argument in fitted.command {
                size += JSONWriter.string(.string(argument)).utf8.count + 1
                if size >= Self.datagramLimit / 2 { break }
                kept.append(argument)
            }
            let dropped = fitted.command.count - kept.count
            if dropped > 0 {
                fitted.command = kept + ["[xray: " + Wording.count(dropped, "more argument", "more arguments") + " not recorded]"]
                shortened.append(Wording.count(dropped, "argument") + " left out")
                bytes = fitted.datagram()
            }
        }
        if bytes.count > Self.datagramLimit {
            fitted.annotations = annotations.map { a in
                guard case .string(let s) = a.value, s.count > 100 else { return a }
                return .init(key: a.key, value: .string(String(s.prefix(100)) + "[xray: cut]"))
            }
            shortened.append("long annotation values cut to 100 characters")
            bytes = fitted.datagram()
        }
        return (bytes, shortened)
    }

    /// `argument` itself, or its first `argumentLimit` bytes (on a character boundary) and a marker.
    static func cut(_ argument: String) -> String {
        guard argument.utf8.count > argumentLimit else { return argument }
        var kept = ""
        var size = 0
        for character in argument {
            size += character.utf8.count
            if size > argumentLimit { break }
            kept.append(character)
        }
        return kept + "[xray: cut, \(argument.utf8.count) bytes in all]"
    }

    /// Epoch seconds with microseconds, as the Python SDK writes them.
    static func seconds(_ t: Double) -> String {
        let micros = Int64((t * 1_000_000).rounded())
        let frac = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }

    /// X-Ray names allow letters, digits, white space and `_ . : / % & # = + \ - @` (X-Ray developer guide, "AWS X-Ray segment documents").
    static func cleanName(_ name: String) -> String {
        let allowed = Set("_.:/%&#=+\\-@ ")
        let cleaned = String(name.filter { $0.isLetter || $0.isNumber || allowed.contains($0) }.prefix(200))
        return cleaned.isEmpty ? "command" : cleaned
    }
}

func signalName(_ n: Int32) -> String {
    let names: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 8: "SIGFPE", 9: "SIGKILL",
        10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    ]
    return names[n] ?? "signal \(n)"
}
