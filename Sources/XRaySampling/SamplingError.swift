import XRayWire

/// Everything that can go wrong in XRaySampling, each case carrying what the user needs to fix it.
///
/// Descriptions name the file and say what is wrong with it; the CLI maps each case to its exit code and
/// adds the commands and flags that help.
public enum SamplingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rules file is larger than `RuleDocument.maximumFileSize`.
    case fileTooLarge(file: String, size: Int, limit: Int)
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file parsed but breaks the rules of its format; every problem is listed.
    case invalidRules(file: String, diagnostics: [RuleDiagnostic])
    /// A request line is longer than `RequestReader.maximumLineLength`.
    case requestLineTooLong(file: String, line: Int, length: Int, limit: Int)
    /// A request line is not JSON or has a value of the wrong type.
    case invalidRequest(file: String, line: Int, message: String)
    /// A request to simulate has no `"t"`, its time.
    case untimedRequest(file: String, line: Int)

    public var description: String {
        switch self {
        case .fileTooLarge(let file, let size, let limit):
            "\(file): the file is \(size) bytes, over the \(limit)-byte limit for a rules file; "
                + "X-Ray rule files are a few kilobytes, so check that this is the right file"
        case .unreadable(let file, let reason):
            "\(file): cannot read the file (\(reason)); check the path and its permissions"
        case .invalidRules(let file, let diagnostics):
            diagnostics.map(\.description).joined(separator: "\n")
                + (diagnostics.isEmpty ? "\(file): invalid rules" : "")
                + "\n\(file): " + Wording.count(diagnostics.count, "problem")
        case .requestLineTooLong(let file, let line, let length, let limit):
            "\(file):\(line): the request line is \(length) bytes, over the \(limit)-byte limit; "
                + "write one request object per line"
        case .invalidRequest(let file, let line, let message):
            "\(file):\(line): \(message); write one object per line such as "
                + #"{"host":"example.com","method":"GET","path":"/api","t":1700000000.5}"#
        case .untimedRequest(let file, let line):
            "\(file):\(line): request \(line) has no \"t\" (epoch seconds)"
        }
    }
}

/// One problem in a rules file, located at the value at fault; every one makes the file invalid.
///
/// Findings that leave the file usable (a rate over 1, keys only Node rejects) belong to `RuleLinter` instead.
public struct RuleDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// The JSON path of the field at fault (`rules[0].url_path`), `$` for the whole document.
    public var field: String
    public var message: String
    /// What to write instead.
    public var fix: String

    public init(
        file: String, line: Int, column: Int, field: String, message: String, fix: String
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        self.fix = fix
    }

    /// `file:line:column: error: field: message; fix`, the format compilers and editors understand.
    public var description: String {
        "\(file):\(line):\(column): error: \(field): \(message); \(fix)"
    }

    /// The diagnostic as a JSON object for `--format json`.
    public var jsonValue: JSONValue {
        .object(
            JSONObject([
                ("file", .string(file)), ("line", .number(JSONNumber(line))), ("column", .number(JSONNumber(column))),
                ("severity", .string("error")), ("field", .string(field)), ("message", .string(message)),
                ("fix", .string(fix)),
            ]))
    }
}
