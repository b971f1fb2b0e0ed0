import XRayRender

/// Parses the times and durations that `--since`, `--start`, `--until` and `prune --older-than` accept.
package enum TimeSpec {
    /// A duration in seconds, in the forms every duration flag takes (`Durations.seconds(parsing:)`).
    package static func duration(_ text: String) throws(QueryError) -> Double {
        do {
            return try Durations.seconds(parsing: text)
        } catch {
            throw QueryError.invalidDuration(text)
        }
    }

    /// A point in time: epoch seconds (`1700000000.5`), a duration with a unit ago (`10m`), or ISO 8601 in UTC or with an
    /// offset (`2026-11-26T05:00:00Z`, `2026-11-26T06:00:00+01:00`, `2026-11-26`).
    package static func time(_ text: String, now: Double) throws(QueryError) -> Double {
        if let epoch = Double(text), epoch.isFinite { return epoch }
        if let ago = try? duration(text) { return now - ago }
        guard let iso = iso8601(text) else { throw QueryError.invalidTime(text) }
        return iso
    }

    static func iso8601(_ text: String) -> Double? {
        let chars = Array(text)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= chars.count else { return nil }
            var n = 0
            for c in chars[i..<i + digits] {
                guard let d = c.wholeNumberValue, c.isASCII else { return nil }
                n = n * 10 + d
            }
            i += digits
            return n
        }
        func skip(_ c: Character) -> Bool {
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), skip("-"), let month = number(2), skip("-"), let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = Double(daysFromCivil(year, month, day)) * 86_400
        guard i < chars.count else { return seconds }
        guard skip("T") || skip(" "), let hour = number(2), skip(":"), let minute = number(2), hour < 24, minute < 60 else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        if skip(":") {
            guard let second = number(2), second < 61 else { return nil }
            seconds += Double(second)
            if skip(".") {
                var scale = 0.1
                while i < chars.count, let d = chars[i].wholeNumberValue, chars[i].isASCII {
                    seconds += Double(d) * scale
                    scale /= 10
                    i += 1
                }
            }
        }
        if skip("Z") || i == chars.count { return i == chars.count ? seconds : nil }
        let sign: Double = skip("+") ? -1 : (skip("-") ? 1 : 0)
        guard sign != 0, let oh = number(2) else { return nil }
        _ = skip(":")
        guard let om = number(2), i == chars.count else { return nil }
        return seconds + sign * Double(oh * 3600 + om * 60)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
