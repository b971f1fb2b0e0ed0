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
            ("start_time", .number(JSONNumber(text: RunSegment.seconds(startTime)))),
            ("end_time", .number(JSONNumber(text: RunSegment.seconds(endTime)))),
            ("in_progress", .bool(false)),
        ])
        if let parentID { o["parent_id"] = .string(parentID) }
        if !annotations.isEmpty {
            o["annotations"] = .object(JSONObject(annotations.map { a in
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
            o["cause"] = .object(JSONObject([
                ("working_directory", .string(workingDirectory)),
                ("exceptions", .array([.object(JSONObject([
                    ("id", .string(XRayID.newEntityID())),
                    ("type", .string(failureType)),
                    ("message", .string(message)),
                    ("remote", .bool(false)),
                ]))])),
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

    /// Epoch seconds with microseconds, as the Python SDK writes them.
    static func seconds(_ t: Double) -> String {
        let micros = Int64((t * 1_000_000).rounded())
        let frac = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }

    /// X-Ray names allow letters, digits, white space and `_ . : / % & # = + \ - @` (reference 2.1).
    static func cleanName(_ name: String) -> String {
        let allowed = Set("_.:/%&#=+\\-@ ")
        let cleaned = String(name.filter { $0.isLetter || $0.isNumber || allowed.contains($0) }.prefix(200))
        return cleaned.isEmpty ? "command" : cleaned
    }
}

func signalName(_ n: Int32) -> String {
    let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 8: "SIGFPE", 9: "SIGKILL",
                                  10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"]
    return names[n] ?? "signal \(n)"
}
