import ArgumentParser
import XRayRender
import XRayStore
import XRaySystem

#if canImport(Glibc)
import Glibc
#endif

/// `--store`, shared by every command that reads or writes traces.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The SQLite store file.", discussion: "Default: $XRAY_STORE, else ${XDG_DATA_HOME:-~/.local/share}/xray/traces.sqlite.",
            valueName: "path"))
    var store: String?

    var path: String { store ?? TraceStore.defaultPath(environment: Environment.current) }

    /// Opens the store; bulk writers pass a larger `checkpointPages` (see `TraceStore.init`).
    func open(readOnly: Bool = false, checkpointPages: Int = 1000) throws(StoreError) -> TraceStore {
        try TraceStore(path: path, readOnly: readOnly, checkpointPages: checkpointPages)
    }
}

/// `--include-runs`, for the commands that leave `xray run`'s own segments out by default.
struct RunsOptions: ParsableArguments {
    @Flag(name: .long, help: "Count the segments xray run records for the command itself (origin xray::Run), and traces that hold only one.")
    var includeRuns = false
}

/// `--color`, shared by every command that prints for people.
struct ColorOptions: ParsableArguments {
    @Option(name: .long, help: "Colour output: auto (a terminal, unless NO_COLOR is set), always, or never.")
    var color: TerminalStyle.Choice = .auto

    var style: TerminalStyle {
        TerminalStyle.resolve(color, environment: Environment.current, isTerminal: isatty(1) == 1)
    }

    /// For messages on standard error, which may be a terminal when standard output is not.
    var standardErrorStyle: TerminalStyle {
        TerminalStyle.resolve(color, environment: Environment.current, isTerminal: isatty(2) == 1)
    }
}

extension TerminalStyle.Choice: ExpressibleByArgument {}
extension ListingFormat: ExpressibleByArgument {}
extension TraceViewFormat: ExpressibleByArgument {}
extension TraceFileFormat: ExpressibleByArgument {}

enum Environment {
    /// The process environment as a dictionary, read through libc (no Foundation needed).
    static var current: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return out
    }
}

/// The seconds of a duration flag's value (`Durations.seconds(parsing:)`); the error names the flag, the value
/// and the forms every duration flag accepts.
func seconds(of text: String, flag: String) throws(ValidationError) -> Double {
    do {
        return try Durations.seconds(parsing: text)
    } catch {
        throw ValidationError("\(flag): \(error.description)")
    }
}

/// Current time in epoch seconds: the one clock of XRaySystem, under the name the commands use.
func epochNow() -> Double { epochSeconds() }

/// Writes to standard error unbuffered.
func printError(_ message: String) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    line.withUTF8 { buf in try? FileIO.writeAll(2, UnsafeRawBufferPointer(buf)) }
}
