/// One token of a filter expression, with the character offset where it starts (for the caret in errors).
struct FilterToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// A keyword, a dotted name (`http.url`, `annotation.user`) or AND/OR/CONTAINS/true: matched case-insensitively.
        case word(String)
        case string(String)
        case number(Double)
        case comparison(String)
        case bang, openParen, closeParen, openBrace, closeBrace, openBracket, closeBracket, comma, colon
        /// Text that is no token; the parser reports `message` if it gets this far (an earlier error wins).
        case invalid(message: String)
        case end
    }

    var kind: Kind
    var offset: Int

    var lowercasedWord: String? {
        if case .word(let w) = kind { return w.lowercased() }
        return nil
    }
}

/// Splits a filter expression into tokens.
///
/// Works on `Character`s so that offsets are columns the caret can point at, whatever the encoding. Lexing stops
/// at the first bad character with an `.invalid` token, so that an error earlier in the expression (such as an
/// unsupported `rootcause.json = #[...]`) is the one reported.
enum FilterLexer {
    static func tokens(_ expression: String) -> [FilterToken] {
        let chars = Array(expression)
        var out: [FilterToken] = []
        var i = 0
        func stop(_ at: Int, _ message: String) -> [FilterToken] {
            out + [FilterToken(kind: .invalid(message: message), offset: at), FilterToken(kind: .end, offset: chars.count)]
        }
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
                continue
            }
            let start = i
            switch c {
            case "(": out.append(.init(kind: .openParen, offset: i)); i += 1
            case ")": out.append(.init(kind: .closeParen, offset: i)); i += 1
            case "{": out.append(.init(kind: .openBrace, offset: i)); i += 1
            case "}": out.append(.init(kind: .closeBrace, offset: i)); i += 1
            case "[": out.append(.init(kind: .openBracket, offset: i)); i += 1
            case "]": out.append(.init(kind: .closeBracket, offset: i)); i += 1
            case ",": out.append(.init(kind: .comma, offset: i)); i += 1
            case ":": out.append(.init(kind: .colon, offset: i)); i += 1
            case "=": out.append(.init(kind: .comparison("="), offset: i)); i += 1
            case "!":
                if i + 1 < chars.count, chars[i + 1] == "=" {
                    out.append(.init(kind: .comparison("!="), offset: i))
                    i += 2
                } else {
                    out.append(.init(kind: .bang, offset: i))
                    i += 1
                }
            case "<", ">":
                if i + 1 < chars.count, chars[i + 1] == "=" {
                    out.append(.init(kind: .comparison(String(c) + "="), offset: i))
                    i += 2
                } else {
                    out.append(.init(kind: .comparison(String(c)), offset: i))
                    i += 1
                }
            case "\"":
                i += 1
                var value = ""
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == "\\", i + 1 < chars.count {
                        value.append(chars[i + 1])
                        i += 2
                        continue
                    }
                    i += 1
                    if d == "\"" {
                        closed = true
                        break
                    }
                    value.append(d)
                }
                guard closed else { return stop(start, "this string has no closing double quote; expected \" before the end") }
                out.append(.init(kind: .string(value), offset: start))
            default:
                if c.isNumber || ((c == "-" || c == ".") && i + 1 < chars.count && chars[i + 1].isNumber) {
                    i += 1
                    while i < chars.count,
                        chars[i].isNumber || chars[i] == "." || chars[i] == "e" || chars[i] == "E"
                            || ((chars[i] == "-" || chars[i] == "+") && (chars[i - 1] == "e" || chars[i - 1] == "E"))
                    {
                        i += 1
                    }
                    let text = String(chars[start..<i])
                    guard let value = Double(text), value.isFinite else { return stop(start, "\"\(text)\" is not a number") }
                    out.append(.init(kind: .number(value), offset: start))
                } else if c.isLetter || c == "_" {
                    while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "." || chars[i] == "-" {
                        i += 1
                    }
                    out.append(.init(kind: .word(String(chars[start..<i])), offset: start))
                } else {
                    return stop(start, "unexpected character \"\(c)\"; expected a keyword, a value, an operator or a parenthesis")
                }
            }
        }
        out.append(.init(kind: .end, offset: chars.count))
        return out
    }
}
