/// The one place a URL is cut into the parts the views and groupings show.
///
/// Segment `http.request.url` values are what the SDK saw: usually absolute (`http://host:8000/books/7?x=1`),
/// sometimes only a path. A scheme counts only as RFC 3986 spells one (letters, digits, `+`, `-`, `.`, starting
/// with a letter, then `://`), so `/login?next=http://x/` stays a path.
package enum URLPath {
    /// The scheme and authority (`http://host:8000`, empty without one), the path (possibly empty) and the
    /// query (nil without a `?`); a fragment is dropped (RFC 3986, section 3).
    package static func split(_ url: String) -> (head: Substring, path: Substring, query: Substring?) {
        var text = Substring(url)
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        var head = text[text.startIndex..<text.startIndex]
        if let scheme = text.firstRange(of: "://"), isScheme(text[..<scheme.lowerBound]) {
            let afterHost = text[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
            head = text[..<afterHost]
            text = text[afterHost...]
        }
        guard let q = text.firstIndex(of: "?") else { return (head, text, nil) }
        return (head, text[..<q], text[text.index(after: q)...])
    }

    /// The path alone (`/books/7`): `/` for a URL with a host and no path.
    package static func path(of url: String) -> String {
        let parts = split(url)
        return parts.path.isEmpty && !parts.head.isEmpty ? "/" : String(parts.path)
    }

    /// The path and query, what a request line carries (`/books/7?x=1`, RFC 9112 origin-form).
    package static func target(of url: String) -> String {
        let parts = split(url)
        return path(of: url) + (parts.query.map { "?" + $0 } ?? "")
    }

    static func isScheme(_ s: Substring) -> Bool {
        guard let first = s.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return s.unicodeScalars.allSatisfy { c in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "+" || c == "-" || c == ".")
        }
    }
}
