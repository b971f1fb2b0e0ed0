/// Words for people: counts with the right plural, and the "did you mean" of a mistyped name.
package enum Wording {
    /// `1 trace`, `2 traces`; `plural` for words whose plural is not the singular plus "s" (`1 entity`, `2 entities`).
    package static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }

    /// The candidate closest to `word` by edit distance (case-insensitive), if it is close enough to be a typo:
    /// none for words of one or two letters (every short word is a typo of another), one edit up to four
    /// letters, two beyond, as git's suggestions allow a few edits and no more.
    package static func closest(to word: String, among candidates: some Sequence<String>) -> String? {
        let typed = Array(word.lowercased().unicodeScalars)
        guard typed.count > 2 else { return nil }
        let limit = typed.count <= 4 ? 1 : 2
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(typed, Array(candidate.lowercased().unicodeScalars), limit: limit)
            guard distance <= limit, distance > 0 || candidate != word else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// Damerau-Levenshtein distance with adjacent transpositions (`fualt` is one edit from `fault`), stopping
    /// early once every path costs more than `limit`; inputs are short names, so the table is small.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { value = min(value, previous2[j - 2] + 1) }
                current[j] = value
                rowMinimum = min(rowMinimum, value)
            }
            if rowMinimum > limit { return limit + 1 }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
