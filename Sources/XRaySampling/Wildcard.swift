/// A sampling-rule pattern compiled once, matched exactly as the Python SDK's `wildcard_match` does.
///
/// The Python algorithm (`aws_xray_sdk/core/utils/search_pattern.py`) walks code points with a single
/// backtracking point. Three of its quirks are kept on purpose because they decide which rule applies:
/// - a text character equal to the pattern character is consumed before `*` is considered, so a literal `*`
///   in the request text uses up a `*` of the pattern (`*b` does not match `*xb`);
/// - `?` stands for one Unicode scalar (a Python code point), not one user-perceived character;
/// - case folding compares `str.lower()` of single code points (the Kelvin sign `K` matches `k`).
///
/// When both the pattern and the text are ASCII, matching runs on UTF-8 bytes with ASCII lowercasing, which
/// gives the same answer as the code-point path and allocates nothing.
public struct WildcardPattern: Sendable, Hashable {
    /// The pattern as written.
    public let text: String
    private let kind: Kind
    /// The pattern's bytes, ASCII-lowercased; used only when `isASCII`.
    private let loweredBytes: [UInt8]
    private let isASCII: Bool
    private let scalars: [Unicode.Scalar]
    /// `str.lower()` of each pattern code point, compared scalar by scalar as Python compares strings.
    private let loweredScalars: [[Unicode.Scalar]]

    private enum Kind: Sendable, Hashable {
        /// Exactly `*`, which Python short-cuts to "matches anything".
        case matchAll
        /// The empty pattern, which matches only empty text.
        case empty
        case general
    }

    public init(_ text: String) {
        self.text = text
        if text.isEmpty {
            kind = .empty
        } else if text == "*" {
            kind = .matchAll
        } else {
            kind = .general
        }
        isASCII = text.utf8.allSatisfy { $0 < 0x80 }
        loweredBytes = text.utf8.map(asciiLowercased)
        scalars = Array(text.unicodeScalars)
        loweredScalars = scalars.map(pythonLowercased)
    }

    /// Whether `text` matches the whole pattern.
    public func matches(_ candidate: String) -> Bool {
        switch kind {
        case .empty: return candidate.isEmpty
        case .matchAll: return true
        case .general: break
        }
        if isASCII {
            var candidate = candidate
            let fast: Bool? = candidate.withUTF8 { textBytes in
                for byte in textBytes where byte >= 0x80 { return nil }
                return loweredBytes.withUnsafeBufferPointer { Self.matchBytes(pattern: $0, text: textBytes) }
            }
            if let fast { return fast }
        }
        return matchScalars(Array(candidate.unicodeScalars))
    }

    /// Whether the pattern matches empty text: only the empty pattern and patterns made of `*` do.
    var matchesEmpty: Bool { kind != .general || scalars.allSatisfy { $0 == "*" } }

    /// Whether the pattern is exactly `*`.
    var isMatchAll: Bool { kind == .matchAll }

    /// The lowercased pattern bytes when the pattern is ASCII, for `RuleMatcher`'s byte path.
    var asciiBytes: [UInt8]? { isASCII ? loweredBytes : nil }

    /// The byte loop of `wildcard_match`; the pattern is already lowercased, so one comparison covers
    /// Python's "equal" and "equal after lower()" branches.
    static func matchBytes(pattern: UnsafeBufferPointer<UInt8>, text: UnsafeBufferPointer<UInt8>) -> Bool {
        let star = UInt8(ascii: "*")
        let question = UInt8(ascii: "?")
        var i = 0
        var p = 0
        var iStar = text.count
        var pStar = 0
        while i < text.count {
            if p < pattern.count {
                let pc = pattern[p]
                if asciiLowercased(text[i]) == pc || pc == question {
                    i += 1
                    p += 1
                    continue
                }
                if pc == star {
                    iStar = i
                    pStar = p
                    p += 1
                    continue
                }
            }
            guard iStar != text.count else { return false }
            iStar += 1
            i = iStar
            p = pStar + 1
        }
        while p < pattern.count, pattern[p] == star { p += 1 }
        return p == pattern.count
    }

    /// The code-point loop of `wildcard_match`, for text or patterns outside ASCII.
    private func matchScalars(_ text: [Unicode.Scalar]) -> Bool {
        var i = 0
        var p = 0
        var iStar = text.count
        var pStar = 0
        while i < text.count {
            if p < scalars.count {
                let pc = scalars[p]
                if text[i] == pc || pythonLowercased(text[i]) == loweredScalars[p] || pc == "?" {
                    i += 1
                    p += 1
                    continue
                }
                if pc == "*" {
                    iStar = i
                    pStar = p
                    p += 1
                    continue
                }
            }
            guard iStar != text.count else { return false }
            iStar += 1
            i = iStar
            p = pStar + 1
        }
        while p < scalars.count, scalars[p] == "*" { p += 1 }
        return p == scalars.count
    }
}

@inline(__always)
private func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte &- 0x41 < 26 ? byte | 0x20 : byte
}

/// Python's `str.lower()` of one code point: the full Unicode lowercase mapping, which may be longer than one.
private func pythonLowercased(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
    if scalar.isASCII { return [Unicode.Scalar(asciiLowercased(UInt8(scalar.value)))] }
    return Array(scalar.properties.lowercaseMapping.unicodeScalars)
}
