import XRayWire

/// Parsing of `xray run` option values, kept here so tests reach it.
public enum RunArguments {
    /// X-Ray indexes at most 50 annotations per trace (developer guide, "Annotations").
    public static let maxAnnotations = 50
    /// The longest annotation value, in characters, as X-Ray stores them.
    public static let maxAnnotationValueLength = 1_000
    /// The longest annotation key xray accepts; X-Ray states no limit, and filters name keys in full.
    public static let maxAnnotationKeyLength = 100

    /// Why `--annotation` values cannot go on the run segment, or nil: count, key and value lengths.
    public static func annotationProblem(_ texts: [String]) -> String? {
        if texts.count > maxAnnotations {
            return "\(texts.count) annotations given; X-Ray indexes at most \(maxAnnotations) per trace"
        }
        for text in texts {
            guard let eq = text.firstIndex(of: "=") else { continue }
            let key = text[..<eq], value = text[text.index(after: eq)...]
            if key.count > maxAnnotationKeyLength {
                return "the key \"\(key.prefix(20))...\" is \(key.count) characters; keys are at most \(maxAnnotationKeyLength)"
            }
            if value.count > maxAnnotationValueLength {
                return
                    "the value of \(key.prefix(maxAnnotationKeyLength)) is \(value.count) characters; X-Ray annotation values are at most \(maxAnnotationValueLength)"
            }
        }
        return nil
    }

    /// `key=value` for `--annotation`: `true`/`false` become booleans, numbers numbers, anything else a string.
    /// Keys are letters, digits and `_`, the only ones X-Ray filters can use.
    public static func annotation(_ text: String) -> Entity.Annotation? {
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let key = String(text[..<eq]), value = String(text[text.index(after: eq)...])
        guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { return nil }
        if value == "true" { return .init(key: key, value: .bool(true)) }
        if value == "false" { return .init(key: key, value: .bool(false)) }
        if let d = Double(value), d.isFinite { return .init(key: key, value: .number(d)) }
        return .init(key: key, value: .string(value))
    }

    /// The run segment's default name: the command's base name, or for a Python interpreter the script or
    /// module it runs and a subcommand word after it, so that Django runs are not all named `python`:
    /// `python manage.py runserver` is `manage.py runserver`, `python -m pytest` is `pytest`,
    /// `python3.11 app.py` is `app.py`. `python -c` and a bare interpreter keep the interpreter's name.
    public static func segmentName(for command: [String]) -> String {
        let program = baseName(command.first ?? "command")
        guard isPython(program) else { return program }
        var rest = command.dropFirst()
        var target: String?
        while let argument = rest.first {
            rest = rest.dropFirst()
            if argument == "-m" {
                target = rest.first
                rest = rest.dropFirst()
                break
            }
            if argument.hasPrefix("-m") && !argument.hasPrefix("--") {
                target = String(argument.dropFirst(2))
                break
            }
            if argument == "-c" || argument.hasPrefix("-c") && !argument.hasPrefix("--") || argument == "-" || argument == "--" {
                return program
            }
            // Interpreter options that take the next argument as their value.
            if ["-W", "-X", "--check-hash-based-pycs"].contains(argument) {
                rest = rest.dropFirst()
                continue
            }
            if argument.hasPrefix("-") { continue }
            target = baseName(argument)
            break
        }
        guard let target, !target.isEmpty else { return program }
        if let next = rest.first, isSubcommand(next) { return target + " " + next }
        return target
    }

    /// `python`, `python3`, `python3.11`, `pypy3`: names of CPython and PyPy interpreters.
    static func isPython(_ name: String) -> Bool {
        for prefix in ["python", "pypy"] where name.hasPrefix(prefix) {
            return name.dropFirst(prefix.count).allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
        }
        return false
    }

    /// A word such as `runserver` or `test`: a letter, then letters, digits, `_`, `-` or `:`. Paths, options
    /// and values such as `0:8000` are not.
    static func isSubcommand(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-:".contains($0)) }
    }

    static func baseName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }
}
