import XRayWire

/// Parses X-Ray filter expressions (AWS X-Ray developer guide, "Using filter expressions") into `FilterExpression` values.
///
/// Grammar (keywords and AND/OR/CONTAINS/true/false are case-insensitive):
///
///     expr     := and ("OR" and)*
///     and      := unary (["AND"] unary)*           juxtaposition means AND
///     unary    := "!" unary | "(" expr ")" | term
///     term     := boolkw [("=" | "!=") ("true" | "false")]
///               | numkw [cmp NUMBER] | strkw [strop STRING]   bare: the field is set
///               | "annotation." KEY [op value] | "annotation[" KEY "]" [op value]
///               | "service" "(" [node] ")" [block] | "edge" "(" node "," node ")" [block]
///               | "rootcause." ("fault"|"error"|"responsetime") "." ("service"|"entity") [block]
///               | "group.name" "=" STRING
///     node     := STRING | "id" "(" arg ("," arg)* ")"      arg := ("name"|"type"|"account.id") ":" STRING
///     block    := "{" expr "}"
///
/// Keywords that only make sense in some places (`first`, `last`, `index` and `coverage` inside a root cause
/// block; annotations only at trace level) are checked here, so the error can point at them.
///
/// Work is bounded whatever the input: at most `maxNesting` levels of `(`, `{` and `!` and at most `maxTerms`
/// terms, so that neither this recursive-descent parser nor SQLite's own parser and expression depth limit
/// (1000 by default, https://sqlite.org/limits.html) can be driven past its stack by a long expression.
package struct FilterParser {
    /// Levels of `(`, `{` and `!` inside one another; real filters use a handful.
    package static let maxNesting = 16
    /// Terms in one expression (`fault`, `http.status = 500`, `service("a") {...}` are one each).
    package static let maxTerms = 1000

    /// Where a term is evaluated; decides which keywords are allowed.
    enum Scope: Equatable {
        case trace
        case node
        case rootCause(RootCauseKind)
    }

    let expression: String
    var tokens: [FilterToken]
    var position = 0
    var nesting = 0
    var terms = 0

    /// Parses `expression`.
    ///
    /// - Throws: `QueryError.syntax` with the offset and what was expected there, or `QueryError.unsupported`
    ///   for a construct xray cannot evaluate locally.
    package static func parse(_ expression: String) throws(QueryError) -> FilterExpression {
        var parser = FilterParser(expression: expression, tokens: FilterLexer.tokens(expression))
        guard parser.peek.kind != .end else {
            throw QueryError.syntax(expression: expression, offset: 0, message: "the expression is empty; expected a keyword such as fault or responsetime > 1")
        }
        let result = try parser.parseOr(scope: .trace)
        guard parser.peek.kind == .end else {
            throw parser.fail("expected AND, OR, another term or the end of the expression")
        }
        return result
    }

    var peek: FilterToken { tokens[position] }

    mutating func advance() -> FilterToken {
        let t = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return t
    }

    /// A syntax error at `token`; where the lexer gave up, its own message says more than "expected ...".
    func fail(_ message: String, at token: FilterToken? = nil) -> QueryError {
        let at = token ?? peek
        if case .invalid(let lexical) = at.kind { return .syntax(expression: expression, offset: at.offset, message: lexical) }
        return .syntax(expression: expression, offset: at.offset, message: message)
    }

    func unsupported(_ message: String, at token: FilterToken) -> QueryError {
        .unsupported(expression: expression, offset: token.offset, message: message)
    }

    mutating func parseOr(scope: Scope) throws(QueryError) -> FilterExpression {
        var left = try parseAnd(scope: scope)
        while peek.lowercasedWord == "or" {
            _ = advance()
            left = .or(left, try parseAnd(scope: scope))
        }
        return left
    }

    mutating func parseAnd(scope: Scope) throws(QueryError) -> FilterExpression {
        var left = try parseUnary(scope: scope)
        while true {
            if peek.lowercasedWord == "and" {
                _ = advance()
            } else if !startsTerm(peek) {
                return left
            }
            left = .and(left, try parseUnary(scope: scope))
        }
    }

    func startsTerm(_ token: FilterToken) -> Bool {
        switch token.kind {
        case .bang, .openParen: true
        case .word(let w): !["or", "and"].contains(w.lowercased())
        default: false
        }
    }

    /// Enters one more level of `(`, `{` or `!`, refusing the one past `maxNesting`; the caller calls `leave()`.
    mutating func enter() throws(QueryError) {
        guard nesting < Self.maxNesting else {
            throw fail("the expression nests (, { and ! more than \(Self.maxNesting) deep here; simplify it")
        }
        nesting += 1
    }

    mutating func leave() { nesting -= 1 }

    mutating func parseUnary(scope: Scope) throws(QueryError) -> FilterExpression {
        switch peek.kind {
        case .bang:
            try enter()
            _ = advance()
            let inner = try parseUnary(scope: scope)
            leave()
            return .not(inner)
        case .openParen:
            try enter()
            _ = advance()
            let inner = try parseOr(scope: scope)
            try expect(.closeParen, "expected ) to close the parenthesis")
            leave()
            return inner
        case .word:
            return try parseTerm(scope: scope)
        case .end:
            throw fail("expected a keyword, ! or ( here, but the expression ends")
        default:
            throw fail("expected a keyword (such as fault, responsetime or annotation.KEY), ! or (")
        }
    }

    mutating func expect(_ kind: FilterToken.Kind, _ message: String) throws(QueryError) {
        guard peek.kind == kind else { throw fail(message) }
        _ = advance()
    }

    mutating func parseTerm(scope: Scope) throws(QueryError) -> FilterExpression {
        guard terms < Self.maxTerms else {
            throw fail("the expression has more than \(Self.maxTerms) terms; split it into several queries or save parts as groups")
        }
        terms += 1
        let token = advance()
        guard case .word(let original) = token.kind else { throw fail("expected a keyword", at: token) }
        let word = original.lowercased()
        if let keyword = BooleanKeyword(rawValue: word) {
            try check(keyword, token, scope)
            return try parseBooleanTail(.flag(keyword), name: word)
        }
        if let keyword = NumberKeyword(rawValue: word) {
            try check(keyword, token, scope)
            if case .number = peek.kind { throw fail("expected a comparison (=, !=, <, <=, >, >=) after \(word)") }
            guard case .comparison(let text) = peek.kind else { return .numberIsSet(keyword) }
            guard let op = ComparisonOperator(rawValue: text) else {
                throw fail("expected a comparison (=, !=, <, <=, >, >=) after \(word)")
            }
            _ = advance()
            return .number(keyword, op, try parseNumber(for: keyword, op: text))
        }
        if let keyword = StringKeyword(rawValue: word) {
            if keyword == .message && scope != .trace {
                throw unsupported(
                    "message can only be used at trace level locally: xray stores one summary of each entity's cause, not every exception message", at: token)
            }
            guard let op = try parseStringOperator(after: word) else { return .string(keyword, .contains, "") }
            return .string(keyword, op, try parseString(what: "a double-quoted string to compare \(word) with"))
        }
        if word == "annotation" || word.hasPrefix("annotation.") {
            guard scope == .trace else {
                throw unsupported(
                    "annotations cannot be combined with service(), edge() or rootcause blocks (as in X-Ray); move annotation.KEY outside the braces", at: token
                )
            }
            return try parseAnnotation(original, token)
        }
        if word == "service" || word == "edge" {
            guard scope == .trace else {
                throw unsupported("\(word)() cannot be nested inside another block; combine blocks with AND instead", at: token)
            }
            return word == "service" ? try parseService() : try parseEdge()
        }
        if word.hasPrefix("rootcause") {
            guard scope == .trace else {
                throw unsupported("rootcause cannot be nested inside another block; combine blocks with AND instead", at: token)
            }
            return try parseRootCause(word, token)
        }
        if word == "group.name" {
            guard scope == .trace else { throw unsupported("group.name cannot be used inside a block", at: token) }
            guard case .comparison("=") = peek.kind else { throw fail("expected = after group.name") }
            _ = advance()
            return .group(try parseString(what: "a double-quoted group name"))
        }
        if word == "group.arn" {
            throw unsupported("group.arn names a group in an AWS account; local groups have no ARN, use group.name = \"NAME\"", at: token)
        }
        if let suggestion = Wording.closest(to: word, among: Self.keywords) {
            throw fail("unknown keyword \"\(original)\"; did you mean \(suggestion)?", at: token)
        }
        throw fail("unknown keyword \"\(original)\"; expected a keyword such as ok, fault, responsetime, http.url, annotation.KEY, service(...)", at: token)
    }

    /// Every keyword a term can start with, for "did you mean".
    static let keywords: [String] =
        BooleanKeyword.allCases.map(\.rawValue) + NumberKeyword.allCases.map(\.rawValue)
        + StringKeyword.allCases.map(\.rawValue)
        + ["annotation", "service", "edge", "group.name", "rootcause.fault", "rootcause.error", "rootcause.responsetime"]

    /// `first`, `last` and `index` describe a position on a root cause path; `coverage` a share of the response time.
    func check(_ keyword: BooleanKeyword, _ token: FilterToken, _ scope: Scope) throws(QueryError) {
        if keyword == .first || keyword == .last, case .rootCause = scope { return }
        if keyword == .first || keyword == .last {
            throw unsupported(
                "\(keyword.rawValue) describes a position on a root cause path; use it inside rootcause.KIND.service { } or rootcause.KIND.entity { }",
                at: token)
        }
    }

    func check(_ keyword: NumberKeyword, _ token: FilterToken, _ scope: Scope) throws(QueryError) {
        switch keyword {
        case .index:
            if case .rootCause = scope { return }
            throw unsupported("index is a position on a root cause path; use it inside rootcause.KIND.service { } or rootcause.KIND.entity { }", at: token)
        case .coverage:
            if scope == .rootCause(.responseTime) { return }
            throw unsupported(
                "coverage is a share of the response time; use it inside rootcause.responsetime.service { } or rootcause.responsetime.entity { }", at: token)
        default: return
        }
    }

    /// `kw`, `kw = true`, `kw != false`...: anything but "equals true" becomes a negation.
    mutating func parseBooleanTail(_ positive: FilterExpression, name: String) throws(QueryError) -> FilterExpression {
        guard case .comparison(let op) = peek.kind else { return positive }
        guard op == "=" || op == "!=" else { throw fail("expected = or != after \(name); it is true or false") }
        _ = advance()
        let value = try parseBool(after: "\(name) \(op)")
        return (op == "=") == value ? positive : .not(positive)
    }

    mutating func parseBool(after: String) throws(QueryError) -> Bool {
        switch peek.lowercasedWord {
        case "true"?:
            _ = advance()
            return true
        case "false"?:
            _ = advance()
            return false
        default: throw fail("expected true or false after \(after)")
        }
    }

    mutating func parseNumber(for keyword: NumberKeyword, op: String) throws(QueryError) -> Double {
        guard case .number(let value) = peek.kind else {
            let example =
                switch keyword {
                case .httpStatus: "an HTTP status such as 404"
                case .responseTime, .duration: "seconds, such as 2.5"
                case .index: "a position such as 0"
                case .coverage: "a share between 0 and 1, such as 0.5"
                }
            var message = "expected a number after \(keyword.rawValue) \(op): \(example)"
            if case .string(let text) = peek.kind, Double(text) != nil {
                message += ", without quotes (\(keyword.rawValue) \(op) \(text))"
            }
            throw fail(message)
        }
        _ = advance()
        return value
    }

    mutating func parseString(what: String) throws(QueryError) -> String {
        guard case .string(let value) = peek.kind else { throw fail("expected \(what)") }
        _ = advance()
        return value
    }

    /// The operator after a string keyword; nil when none follows (the bare keyword: the field is set).
    mutating func parseStringOperator(after name: String) throws(QueryError) -> StringOperator? {
        switch peek.kind {
        case .comparison("="): _ = advance(); return .equal
        case .comparison("!="): _ = advance(); return .notEqual
        case .comparison, .string: throw fail("expected =, !=, CONTAINS, BEGINSWITH or ENDSWITH after \(name)")
        case .word(let w):
            if let op = StringOperator(rawValue: w.uppercased()), op != .equal, op != .notEqual {
                _ = advance()
                return op
            }
        default: break
        }
        return nil
    }

    mutating func parseAnnotation(_ original: String, _ token: FilterToken) throws(QueryError) -> FilterExpression {
        let key: String
        if original.lowercased() == "annotation" {
            // `annotation[key]`: seen in the wild, not in the developer guide; accepted as an alias.
            try expect(.openBracket, "expected . or [ after annotation, as in annotation.user or annotation[user]")
            guard case .word(let k) = peek.kind else { throw fail("expected an annotation key inside [ ]") }
            _ = advance()
            try expect(.closeBracket, "expected ] after the annotation key")
            key = k
        } else {
            key = String(original.dropFirst("annotation.".count))
            guard !key.isEmpty else {
                throw fail("expected an annotation key after annotation.", at: FilterToken(kind: token.kind, offset: token.offset + original.count))
            }
        }
        guard case .comparison(let text) = peek.kind else {
            if let w = peek.lowercasedWord, let op = StringOperator(rawValue: w.uppercased()), op != .equal {
                _ = advance()
                return .annotation(key: key, .string(op, try parseString(what: "a double-quoted string after \(w.uppercased())")))
            }
            return .annotation(key: key, .bare)
        }
        let opToken = advance()
        guard let op = ComparisonOperator(rawValue: text) else { throw fail("expected a comparison operator", at: opToken) }
        switch peek.kind {
        case .string(let s):
            _ = advance()
            guard let stringOp = StringOperator(rawValue: text) else {
                throw fail("strings compare with =, !=, CONTAINS, BEGINSWITH or ENDSWITH, not \(text)", at: opToken)
            }
            return .annotation(key: key, .string(stringOp, s))
        case .number(let n):
            _ = advance()
            return .annotation(key: key, .number(op, n))
        case .word(let w) where ["true", "false"].contains(w.lowercased()):
            guard op == .equal || op == .notEqual else { throw fail("booleans compare with = or != only, not \(text)", at: opToken) }
            _ = advance()
            return .annotation(key: key, .bool(w.lowercased() == "true", equal: op == .equal))
        default:
            throw fail("expected a value after \(text): a double-quoted string, a number, true or false")
        }
    }

    mutating func parseService() throws(QueryError) -> FilterExpression {
        try expect(.openParen, "expected ( after service, as in service(\"name\") or service()")
        var selector: NodeSelector?
        if peek.kind != .closeParen { selector = try parseNode() }
        try expect(.closeParen, "expected ) after the service name")
        return .service(selector, try parseBlock(scope: .node))
    }

    mutating func parseEdge() throws(QueryError) -> FilterExpression {
        try expect(.openParen, "expected ( after edge, as in edge(\"from\", \"to\")")
        let from = try parseNode()
        try expect(.comma, "expected , between the two services of edge(\"from\", \"to\")")
        let to = try parseNode()
        try expect(.closeParen, "expected ) after the second service of edge(...)")
        return .edge(from, to, try parseBlock(scope: .node))
    }

    mutating func parseNode() throws(QueryError) -> NodeSelector {
        if case .string(let name) = peek.kind {
            _ = advance()
            return NodeSelector(name: name)
        }
        guard peek.lowercasedWord == "id" else { throw fail("expected a double-quoted service name or id(name: ..., type: ...)") }
        _ = advance()
        try expect(.openParen, "expected ( after id")
        var selector = NodeSelector(name: nil)
        var first = true
        while peek.kind != .closeParen {
            if !first { try expect(.comma, "expected , or ) in id(...)") }
            first = false
            let argument = advance()
            try expect(.colon, "expected : after the argument name, as in id(name: \"api\")")
            let value = try parseString(what: "a double-quoted value for the id() argument")
            switch argument.lowercasedWord {
            case "name"?: selector.name = value
            case "type"?: selector.type = value
            case "account.id"?: selector.accountID = value
            default: throw fail("expected name, type or account.id as an id() argument", at: argument)
            }
        }
        _ = advance()
        return selector
    }

    mutating func parseBlock(scope: Scope) throws(QueryError) -> FilterExpression? {
        guard peek.kind == .openBrace else { return nil }
        try enter()
        _ = advance()
        let inner = try parseOr(scope: scope)
        try expect(.closeBrace, "expected } to close the block")
        leave()
        return inner
    }

    mutating func parseRootCause(_ word: String, _ token: FilterToken) throws(QueryError) -> FilterExpression {
        let parts = word.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2 && parts[1] == "json" {
            throw unsupported(
                "rootcause.json compares the service's own root cause analysis output, which a local store does not have; use rootcause.KIND.service or rootcause.KIND.entity",
                at: token)
        }
        guard parts.count == 3, let kind = RootCauseKind(rawValue: parts[1]) else {
            throw fail("expected rootcause.fault, rootcause.error or rootcause.responsetime followed by .service or .entity", at: token)
        }
        if parts[2] == "exception" {
            throw unsupported("rootcause.\(parts[1]).exception is not evaluated locally; use rootcause.\(parts[1]).entity { ... } instead", at: token)
        }
        guard let scope = RootCauseScope(rawValue: parts[2]) else {
            throw fail("expected .service or .entity after rootcause.\(parts[1])", at: token)
        }
        return .rootCause(kind, scope, try parseBlock(scope: .rootCause(kind)))
    }
}
