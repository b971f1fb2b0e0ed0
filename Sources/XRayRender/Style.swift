/// Terminal colour, decided once per command: `--color`, `NO_COLOR`, and whether stdout is a terminal.
public struct TerminalStyle: Sendable {
    public var enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    public enum Choice: String, Sendable, CaseIterable {
        case auto, always, never
    }

    /// `always` and `never` win; `auto` colours a terminal unless `NO_COLOR` is set (https://no-color.org).
    public static func resolve(_ choice: Choice, environment: [String: String], isTerminal: Bool) -> TerminalStyle {
        switch choice {
        case .always: return TerminalStyle(enabled: true)
        case .never: return TerminalStyle(enabled: false)
        case .auto:
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return TerminalStyle(enabled: false) }
            if environment["TERM"] == "dumb" { return TerminalStyle(enabled: false) }
            return TerminalStyle(enabled: isTerminal)
        }
    }

    func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    public func bold(_ s: String) -> String { wrap(s, "1") }
    public func dim(_ s: String) -> String { wrap(s, "2") }
    public func red(_ s: String) -> String { wrap(s, "31") }
    public func yellow(_ s: String) -> String { wrap(s, "33") }
    public func magenta(_ s: String) -> String { wrap(s, "35") }
    public func cyan(_ s: String) -> String { wrap(s, "36") }
    public func green(_ s: String) -> String { wrap(s, "32") }
}

/// Number formatting shared by the views (and the insights reports), without Foundation.
package enum Format {
    package static func fixed(_ value: Double, decimals: Int) -> String {
        // Past 1e15 the digits are not exact anyway, and Int64 would overflow: print the Double as it is.
        guard value.isFinite, abs(value) < 1e15 else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let sign = value < 0 && rounded > 0 ? "-" : ""
        let whole = Int64(rounded / scale)
        let frac = Int64(rounded) - whole * Int64(scale)
        guard decimals > 0 else { return sign + String(whole) }
        let f = String(frac)
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - f.count) + f
    }

    /// UTC time as `2026-11-26T05:02:28.123Z`, from epoch seconds.
    static func timestamp(_ epoch: Double) -> String {
        // Years 1 to 9999 only; anything else (infinite, NaN, absurd) is shown as the number it is.
        guard epoch.isFinite, epoch >= -62_135_596_800, epoch < 253_402_300_800 else { return "\(epoch)" }
        let totalMillis = Int64((epoch * 1000).rounded(.down))
        let millis = Int(((totalMillis % 1000) + 1000) % 1000)
        var days = Int((totalMillis - Int64(millis)) / 1000 / 86_400)
        var secs = Int((totalMillis - Int64(millis)) / 1000 - Int64(days) * 86_400)
        if secs < 0 { secs += 86_400; days -= 1 }
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60)).\(ms)Z"
    }
}

/// Text from documents made safe to print on a terminal: what a terminal would act on is shown instead.
///
/// A segment's name, URL, annotation or cause is whatever an application (or anyone who can reach the UDP
/// port) sent; printed raw, `ESC [ 2 J` clears the screen and `ESC ] 0 ;` retitles the window, and the bidi
/// overrides of CVE-2021-42574 reorder what the reader sees. C0 controls and DEL become `\x1b`, C1 controls
/// `\u{9b}`, bidi controls `\u{202e}`; everything else, backslashes included, is left as it is.
public enum TerminalText {
    public static func escape(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            guard needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            if scalar.value < 0x80 {
                out += "\\x" + (hex.count < 2 ? "0" : "") + hex
            } else {
                out += "\\u{" + hex + "}"
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Arabic letter mark, LRM/RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI (Unicode bidi controls, UAX #9).
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
