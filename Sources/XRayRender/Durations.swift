/// Durations written for people and read from flags: one formatter per shape the outputs use, one parser.
package enum Durations {
    /// Milliseconds with one decimal and no unit: `12.3` (listings, the graph, the live view).
    package static func milliseconds(_ seconds: Double) -> String {
        Format.fixed(seconds * 1000, decimals: 1)
    }

    /// Milliseconds to the microsecond, trailing zeros dropped but one decimal kept: `12.345`, `12.0` (stats).
    package static func preciseMilliseconds(_ seconds: Double) -> String {
        let millis = (seconds * 1e6).rounded() / 1e3
        guard millis.isFinite, abs(millis) < 1e15 else { return "\(millis)" }
        var text = Format.fixed(millis, decimals: 3)
        while text.hasSuffix("0"), !text.hasSuffix(".0") { text.removeLast() }
        return text
    }

    /// `12.3ms` below ten seconds, `12.35s` from there on (insights and diff reports).
    package static func short(_ seconds: Double) -> String {
        seconds >= 10 ? Format.fixed(seconds, decimals: 2) + "s" : Format.fixed(seconds * 1000, decimals: 1) + "ms"
    }

    /// The forms every duration flag accepts, for help and error text.
    package static let forms = "2 (seconds), 1.5s, 250ms, 10m, 1h, 7d or 1w"

    static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800),
    ]

    /// Seconds from a non-negative decimal number and an optional unit: `2`, `1.5s`, `250ms`, `10m`, `1h`,
    /// `7d`, `1w`. A bare number is seconds. No sign, exponent, space or other unit is accepted.
    package static func seconds(parsing text: String) throws(DurationError) -> Double {
        let unit = units.first { text.hasSuffix($0.suffix) } ?? ("", 1)
        let number = text.dropLast(unit.suffix.count)
        guard number.contains(where: \.isASCIIDigit), number.allSatisfy({ $0.isASCIIDigit || $0 == "." }),
            number.filter({ $0 == "." }).count <= 1, let value = Double(number)
        else {
            throw .invalid(text)
        }
        let seconds = value * unit.seconds
        guard seconds.isFinite else { throw .invalid(text) }
        return seconds
    }
}

/// A duration that does not parse; the text says the forms that do.
package enum DurationError: Error, Hashable, CustomStringConvertible {
    case invalid(String)

    package var description: String {
        switch self {
        case .invalid(let text):
            "\"\(TerminalText.escape(text))\" is not a duration; write \(Durations.forms)"
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
