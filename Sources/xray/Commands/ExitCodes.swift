import ArgumentParser
import XRayCollector
import XRayInsights
import XRayLauncher
import XRayQuery
import XRaySampling
import XRayStore
import XRayWire

/// The documented exit codes (sysexits.h where one fits; see xray(1), EXIT STATUS).
enum ExitCodes {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let ioError: Int32 = 74
}

/// What a command itself refuses, beside the libraries' errors.
enum CommandError: Error {
    /// `inspect group remove` named no saved group.
    case noSuchGroup(String)
    /// `inspect import` stored the good documents and kept these as rejects.
    case rejectedDocuments(Int)
    /// `xray daemon` stopped holding documents it may not have stored.
    case lostDocuments(detail: String)
    /// `xray run`'s own segment did not reach the store.
    case runSegmentNotStored(segmentID: String, storePath: String)
    /// A `--fail-on` gate could not read the run's traces.
    case failOn(QueryError)
}

/// What the user sees for an error: the documented exit code, what happened, and what to do about it.
///
/// `Failure(error)` is the one mapping from every error type to its code and words, as swift-argument-parser's
/// `exitCode(for:)` is for its own errors. Libraries say what went wrong; flags and commands are named only
/// here, so the HTTP API never sends them to its clients.
struct Failure {
    var code: Int32
    var message: String
    var advice: String?

    init(_ code: Int32, _ message: String, advice: String? = nil) {
        self.code = code
        self.message = message
        self.advice = advice
    }

    /// The message and its advice, as printed.
    var text: String { advice.map { "\(message); \($0)" } ?? message }

    /// The failure of `error`; nil for the errors swift-argument-parser reports itself: usage errors, help
    /// requests, and outcome codes such as `--exit-status`'s 1 or a traced command's own status.
    init?(_ error: any Error) {
        switch error {
        case let e as StoreError: self = .store(e)
        case let e as QueryError: self = .query(e)
        case let e as ImportError: self = .importing(e)
        case let e as InsightsError: self = .insights(e)
        case let e as DiffError: self = .diff(e)
        case let e as SamplingError: self = .sampling(e)
        case let e as CollectorError: self = .collector(e)
        case let e as LaunchError: self = .launch(e)
        case let e as RequestPolicyError: self.init(ExitCodes.usage, "--allow-origin: \(e.description)")
        case let e as FailOnParseError: self.init(ExitCodes.usage, "--fail-on: \(e.description)")
        case let e as CommandError: self = .command(e)
        default: return nil
        }
    }

    /// 66 when what was asked for is not stored, 65 when the file is not a store this xray can read, 74 for
    /// the rest (the file system, SQLite, damage).
    static func store(_ error: StoreError) -> Failure {
        let message = error.description
        return switch error {
        case .cannotCreateDirectory:
            Failure(ExitCodes.ioError, message, advice: "choose another place with --store PATH or XRAY_STORE")
        case .cannotOpen:
            Failure(ExitCodes.ioError, message, advice: "check the path and its permissions, or choose another with --store PATH")
        case .sqlite:
            Failure(ExitCodes.ioError, message)
        case .corrupt(let path, _):
            Failure(
                ExitCodes.ioError, message,
                advice: "move it aside and start a new one with --store PATH, or try to salvage it with: sqlite3 \(path) .recover")
        case .notAStore:
            Failure(ExitCodes.dataError, message, advice: "pass a different --store PATH")
        case .newerSchema:
            Failure(ExitCodes.dataError, message, advice: "upgrade xray or use another --store")
        case .traceNotFound:
            Failure(ExitCodes.noInput, message, advice: "list stored traces with: xray inspect traces")
        case .ambiguousTracePrefix:
            Failure(ExitCodes.noInput, message)
        case .runNotFound:
            Failure(ExitCodes.noInput, message, advice: "runs are recorded by xray run -- CMD, and named by number or `last`")
        case .onlyRunSegments:
            Failure(ExitCodes.noInput, message, advice: "see the last run's with: xray inspect show last-run")
        case .noRuns:
            Failure(ExitCodes.noInput, message, advice: "record one with: xray run -- CMD")
        case .noSuchStore:
            Failure(ExitCodes.noInput, message, advice: "record traces into it with: xray run -- CMD, or xray inspect import FILE")
        case .emptyStore:
            Failure(ExitCodes.noInput, message, advice: "record some with: xray run -- CMD, or xray inspect import FILE")
        }
    }

    /// 65 for an expression or saved group that cannot be used, 64 for a malformed time, duration or group
    /// name, the store's own codes otherwise.
    static func query(_ error: QueryError) -> Failure {
        let message = error.description
        return switch error {
        case .store(let e): store(e)
        case .invalidDuration, .invalidTime, .invalidGroupName: Failure(ExitCodes.usage, message)
        case .unknownGroup: Failure(ExitCodes.dataError, message, advice: "save one with: xray inspect group add NAME FILTER")
        case .duplicateGroup(let name):
            Failure(ExitCodes.dataError, message, advice: "remove it first with: xray inspect group remove \(name)")
        case .syntax, .unsupported, .groupCycle, .groupsTooLarge: Failure(ExitCodes.dataError, message)
        }
    }

    /// 66 for a file that cannot be opened, 65 for one that is too large or not the format, 74 for a read
    /// error; a store failure part-way keeps the store's code and says how much was stored.
    static func importing(_ error: ImportError) -> Failure {
        switch error {
        case .cannotOpen: return Failure(ExitCodes.noInput, error.description)
        case .tooLarge, .notBatchGetTraces: return Failure(ExitCodes.dataError, error.description)
        case .read: return Failure(ExitCodes.ioError, error.description)
        case .store(let e, let stored):
            var failure = store(e)
            failure.message +=
                "; " + Wording.count(stored, "document") + " of this file " + (stored == 1 ? "was" : "were") + " stored before that, the rest were not"
            return failure
        }
    }

    static func insights(_ error: InsightsError) -> Failure {
        switch error {
        case .store(let e): store(e)
        case .query(let e): query(e)
        }
    }

    static func diff(_ error: DiffError) -> Failure {
        Failure(ExitCodes.usage, "--fail-if \(error.description)")
    }

    /// 66 for a missing or unreadable input, 65 for bad data.
    static func sampling(_ error: SamplingError) -> Failure {
        let message = error.description
        return switch error {
        case .unreadable: Failure(ExitCodes.noInput, message)
        case .invalidRules(let file, let diagnostics):
            Failure(
                ExitCodes.dataError, message,
                advice: "run `xray rules validate \(file)` after fixing " + (diagnostics.count == 1 ? "it" : "them"))
        case .untimedRequest: Failure(ExitCodes.dataError, message, advice: "add one, or use --rate and --duration")
        case .fileTooLarge, .requestLineTooLong, .invalidRequest: Failure(ExitCodes.dataError, message)
        }
    }

    /// As `xray daemon` reports them: 69 when the address cannot be had, 64 for an address that cannot be
    /// one, 65 for invalid sampling rules, the store's own codes for the store.
    static func collector(_ error: CollectorError) -> Failure {
        let message = error.description
        return switch error {
        case .portInUse(_, let host, _):
            Failure(
                ExitCodes.unavailable, message,
                advice: "stop it, or choose another port with --listen \(host):PORT and set AWS_XRAY_DAEMON_ADDRESS to match")
        case .otlpPortInUse(let protocolName, _, _):
            Failure(
                ExitCodes.unavailable, message,
                advice: "stop it, or choose another address with \(protocolName == "OTLP/gRPC" ? "--otlp-grpc" : "--otlp-http") HOST:PORT, or off")
        case .cannotBind, .socket, .threadStart: Failure(ExitCodes.unavailable, message)
        case .invalidAddress, .unresolvableHost: Failure(ExitCodes.usage, message)
        case .forwardToSelf: Failure(ExitCodes.usage, "--forward \(message)", advice: "forward to another daemon's address")
        case .samplingRules(let file, _): Failure(ExitCodes.dataError, message, advice: "check it with: xray rules validate \(file)")
        case .store(let e): store(e)
        }
    }

    /// As xray-run(1) documents `xray run`'s own failures: 69 when the port is in use, 74 for any other
    /// collector or store failure, 70 when the command cannot be started.
    static func launch(_ error: LaunchError) -> Failure {
        switch error {
        case .collector(let e):
            var failure = collector(e)
            if case .portInUse = e {} else { failure.code = ExitCodes.ioError }
            return failure
        case .store(let e):
            var failure = store(e)
            failure.code = ExitCodes.ioError
            return failure
        case .spawn: return Failure(ExitCodes.software, error.description)
        }
    }

    static func command(_ error: CommandError) -> Failure {
        switch error {
        case .noSuchGroup(let name):
            return Failure(ExitCodes.noInput, "no group named \"\(name)\"", advice: "see the saved ones with: xray inspect group list")
        case .rejectedDocuments(let count):
            return Failure(
                ExitCodes.dataError, Wording.count(count, "document") + (count == 1 ? " was" : " were") + " rejected",
                advice: "see above, or: xray inspect rejects")
        case .lostDocuments(let detail):
            return Failure(ExitCodes.ioError, "documents were lost or may have been (store: \(detail))")
        case .runSegmentNotStored(let segmentID, let storePath):
            return Failure(
                ExitCodes.software, "the run's own segment \(segmentID) was not stored in \(storePath)",
                advice: "see xray inspect rejects")
        case .failOn(let e):
            // The conditions parsed before the command ran: what is left is reading the store.
            let failure = query(e)
            if case .store = e {
                return Failure(ExitCodes.ioError, "--fail-on: \(failure.message)", advice: failure.advice)
            }
            return Failure(ExitCodes.dataError, "--fail-on: \(failure.message)", advice: failure.advice)
        }
    }
}

/// How a command's failures begin on standard error, when not with `xray: error: `.
protocol FailureHeading {
    static var failureHeading: String { get }
}

extension XRay.Run: FailureHeading {
    static var failureHeading: String { "xray run: error: " }
}

// The rules commands' messages begin with the file, as compilers' do, so that editors can jump to it.
extension XRay.Rules.Validate: FailureHeading { static var failureHeading: String { "" } }
extension XRay.Rules.Match: FailureHeading { static var failureHeading: String { "" } }
extension XRay.Rules.Simulate: FailureHeading { static var failureHeading: String { "" } }
extension XRay.Rules.Lint: FailureHeading { static var failureHeading: String { "" } }
extension XRay.Rules.Convert: FailureHeading { static var failureHeading: String { "" } }

extension Failure {
    /// Prints the failure on standard error as `command` reports failures.
    func report(for command: any ParsableCommand.Type) {
        printError(((command as? any FailureHeading.Type)?.failureHeading ?? "xray: error: ") + text)
    }
}
