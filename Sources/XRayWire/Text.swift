extension StringProtocol {
    /// The text without leading and trailing spaces and tabs: the optional whitespace around HTTP field
    /// values and list members (RFC 9110, section 5.6.3) and around `key=value` pairs in environment values.
    package var trimmingSpaces: String {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return String(s)
    }
}
