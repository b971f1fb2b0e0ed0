import ArgumentParser
import XRayStore

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

/// A failure a command reports with a message and a documented exit code.
enum CommandFailure: Error, CustomStringConvertible {
    case store(StoreError)
    case importFailed(ImportError)
    case message(String, code: Int32)

    var description: String {
        switch self {
        case .store(let e): e.description
        case .importFailed(let e): e.description
        case .message(let m, _): m
        }
    }

    var exitCode: Int32 {
        switch self {
        case .store(let e):
            switch e {
            case .traceNotFound, .ambiguousTracePrefix, .emptyStore, .runNotFound, .onlyRunSegments, .noRuns, .noSuchStore: ExitCodes.noInput
            case .notAStore, .newerSchema: ExitCodes.dataError
            default: ExitCodes.ioError
            }
        case .importFailed(let e):
            switch e {
            case .cannotOpen: ExitCodes.noInput
            case .tooLarge, .notBatchGetTraces: ExitCodes.dataError
            case .read: ExitCodes.ioError
            case .store(let s, _): CommandFailure.store(s).exitCode
            }
        case .message(_, let code): code
        }
    }
}

extension ParsableCommand {
    /// Runs `body`, turning a `CommandFailure` into `xray: error: ...` on stderr and its exit code.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as CommandFailure {
            printError("xray: error: \(failure.description)")
            throw ExitCode(failure.exitCode)
        }
    }
}
