import XRayRender
import XRayStore

/// Why a filter, a query or a group command could not be done; descriptions name no flag or command (the CLI
/// adds what to do next, the HTTP API sends them to its clients).
package enum QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The expression does not parse; `offset` counts characters from its start.
    case syntax(expression: String, offset: Int, message: String)
    /// The expression parses, but names something xray cannot evaluate on a local store.
    case unsupported(expression: String, offset: Int, message: String)
    case unknownGroup(String, known: [String])
    case groupCycle([String])
    /// Groups that refer to groups would expand past the compiler's bound (each reference is inlined).
    case groupsTooLarge(String, references: Int, depth: Int)
    case invalidGroupName(String)
    case duplicateGroup(String)
    case invalidDuration(String)
    case invalidTime(String)
    case store(StoreError)

    package var description: String {
        switch self {
        case .syntax(let expression, let offset, let message):
            return "invalid filter expression: \(message)\n" + Self.caret(expression, offset)
        case .unsupported(let expression, let offset, let message):
            return "unsupported filter expression: \(message)\n" + Self.caret(expression, offset)
        case .unknownGroup(let name, let known):
            let list = known.isEmpty ? "none are saved yet" : "saved groups: " + known.joined(separator: ", ")
            return "no group named \"\(name)\" (\(list))"
        case .groupCycle(let names):
            return "groups refer to each other in a cycle (\(names.joined(separator: " -> "))); change one of their filters"
        case .groupsTooLarge(let name, let references, let depth):
            return "group \"\(name)\" expands to more than \(references) group references or \(depth) levels of groups "
                + "inside groups; save a group with the whole filter instead of one that names other groups"
        case .invalidGroupName(let name):
            return "\"\(name)\" is not a valid group name; use 1 to 32 letters, digits, '-', '_' or '.'"
        case .duplicateGroup(let name):
            return "a group named \"\(name)\" already exists"
        case .invalidDuration(let text):
            return DurationError.invalid(text).description
        case .invalidTime(let text):
            return "\"\(text)\" is not a time; use epoch seconds, a duration ago such as 10m, or ISO 8601 such as 2026-11-26T05:00:00Z"
        case .store(let error):
            return error.description
        }
    }

    /// Characters of the expression shown either side of the caret; a longer expression is cut with `…`.
    static let caretContext = 60

    /// The expression on one line, with a caret under the character at `offset`; control characters are
    /// shown as spaces so the caret lines up and nothing reaches the terminal raw.
    static func caret(_ expression: String, _ offset: Int) -> String {
        let chars = Array(expression)
        let at = min(max(0, offset), chars.count)
        let from = max(0, at - caretContext), to = min(chars.count, at + caretContext)
        var line = from > 0 ? "…" : ""
        for c in chars[from..<to] {
            line.append(c.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format } ? " " : c)
        }
        if to < chars.count { line += "…" }
        return "  " + line + "\n  " + String(repeating: " ", count: at - from + (from > 0 ? 1 : 0)) + "^"
    }
}
