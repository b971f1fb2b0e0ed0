import XRayRender

/// The shape of a query or a URL: the text with the values that vary from call to call replaced, so that
/// one query issued per row, or one request per id, groups into one key.
package enum Shape {
    /// SQL with its literals replaced by `?`: numbers, quoted strings, and whole `IN (...)` lists.
    ///
    /// Whitespace runs become one space and keywords keep their case: a query written twice the same way
    /// gives the same shape. Placeholders (`?`, `%s`, `$1`, `:name`) are left as they are; they already stand
    /// for a value.
    package static func sql(_ query: String) -> String {
        let s = Array(query.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var pendingSpace = false
        func emit(_ text: String) {
            if pendingSpace, !out.isEmpty { out.append(" ") }
            pendingSpace = false
            out.append(contentsOf: text.unicodeScalars)
        }
        func isWord(_ c: Unicode.Scalar) -> Bool { c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) }
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace {
                pendingSpace = true
                i += 1
            } else if c == "'" || c == "\"" {
                // A quoted string; a doubled quote inside is an escaped quote (SQL standard).
                var j = i + 1
                while j < s.count {
                    if s[j] == c {
                        if j + 1 < s.count, s[j + 1] == c { j += 2; continue }
                        break
                    }
                    j += 1
                }
                // Double quotes name identifiers in standard SQL: keep them, replace only string literals.
                if c == "\"" { emit(String(String.UnicodeScalarView(s[i..<min(j + 1, s.count)]))) } else { emit("?") }
                i = j + 1
            } else if ("0"..."9").contains(c) || (c == "." && i + 1 < s.count && ("0"..."9").contains(s[i + 1])) {
                // A number only where it is not the tail of a word (t1, $1).
                if let last = out.last, isWord(last) || last == "$", !pendingSpace {
                    var j = i
                    while j < s.count, isWord(s[j]) { j += 1 }
                    emit(String(String.UnicodeScalarView(s[i..<j])))
                    i = j
                    continue
                }
                var j = i
                while j < s.count, isWord(s[j]) || s[j] == "." { j += 1 }
                emit("?")
                i = j
            } else if isWord(c) {
                var j = i
                while j < s.count, isWord(s[j]) { j += 1 }
                emit(String(String.UnicodeScalarView(s[i..<j])))
                i = j
            } else {
                emit(String(c))
                i += 1
            }
        }
        return collapseInLists(String(out))
    }

    /// `IN (?, ?, ?)` and `IN (?)` both become `IN (?)`, the keyword in its own case: a list of any length is one shape.
    static func collapseInLists(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let range = rangeOfInList(rest) {
            out += rest[..<range.lowerBound]
            out += rest[range.lowerBound...].prefix(2) + " (?)"
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    /// The first `IN (` followed only by `?`, commas and spaces up to `)`, case-insensitively.
    static func rangeOfInList(_ s: Substring) -> Range<Substring.Index>? {
        var i = s.startIndex
        while i < s.endIndex {
            let word = s[i...].prefix(2)
            let before = i == s.startIndex ? " " : s[s.index(before: i)]
            if word.lowercased() == "in", !(before.isLetter || before.isNumber || before == "_") {
                var j = s.index(i, offsetBy: 2)
                while j < s.endIndex, s[j] == " " { j = s.index(after: j) }
                if j < s.endIndex, s[j] == "(" {
                    j = s.index(after: j)
                    var sawValue = false
                    while j < s.endIndex, s[j] == "?" || s[j] == "," || s[j] == " " {
                        if s[j] == "?" { sawValue = true }
                        j = s.index(after: j)
                    }
                    if sawValue, j < s.endIndex, s[j] == ")" { return i..<s.index(after: j) }
                }
            }
            i = s.index(after: i)
        }
        return nil
    }

    /// Whether a query carries placeholders, so that two calls with the same text may still differ in values.
    package static func hasPlaceholders(_ query: String) -> Bool {
        let s = Array(query.unicodeScalars)
        var quote: Unicode.Scalar?
        for (i, c) in s.enumerated() {
            if let q = quote {
                if c == q { quote = nil }
                continue
            }
            if c == "'" || c == "\"" { quote = c; continue }
            if c == "?" { return true }
            let next = i + 1 < s.count ? s[i + 1] : " "
            if c == "%", next == "s" || next == "(" { return true }
            if c == "$", ("0"..."9").contains(next) { return true }
            if c == ":", next.properties.isAlphabetic, i == 0 || s[i - 1] != ":" { return true }
        }
        return false
    }

    /// A URL with its ids replaced by `{id}`: numeric path segments, UUIDs and long hex strings, in the path
    /// and in query values. The scheme and host stay: two services are two shapes.
    package static func url(_ url: String) -> String {
        let (head, path, query) = URLPath.split(url)
        var out = String(head) + normalizePath(String(path))
        if let query {
            let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
                guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
                let value = pair[pair.index(after: eq)...]
                return pair[...eq] + (isID(value) ? "{id}" : String(value))
            }
            out += "?" + pairs.joined(separator: "&")
        }
        return out
    }

    /// The path of a URL without its query string, ids replaced by `{id}`: the endpoint `diff` compares.
    /// `http://host/books/7?x=1` and `/books/9` are both `/books/{id}`.
    package static func endpointPath(_ url: String) -> String {
        let path = URLPath.split(url).path
        return normalizePath(path.isEmpty ? "/" : String(path))
    }

    static func normalizePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { isID($0) ? "{id}" : String($0) }
            .joined(separator: "/")
    }

    /// Digits only; a UUID (8-4-4-4-12 hex); or 16 or more hex digits with at least one digit (object ids,
    /// hashes, X-Ray's own ids), so that words such as `deadbeefcafe` stay.
    static func isID(_ s: Substring) -> Bool {
        guard !s.isEmpty else { return false }
        let u = Array(s.utf8)
        func isHex(_ b: UInt8) -> Bool {
            (b >= 48 && b <= 57) || (b >= 97 && b <= 102) || (b >= 65 && b <= 70)
        }
        if u.allSatisfy({ $0 >= 48 && $0 <= 57 }) { return true }
        if u.count == 36 {
            let dashes = [8, 13, 18, 23]
            let ok = u.enumerated().allSatisfy { i, b in dashes.contains(i) ? b == UInt8(ascii: "-") : isHex(b) }
            if ok { return true }
        }
        return u.count >= 16 && u.allSatisfy(isHex) && u.contains { $0 >= 48 && $0 <= 57 }
    }
}
