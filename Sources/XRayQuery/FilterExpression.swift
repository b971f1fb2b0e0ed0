/// A parsed X-Ray filter expression (AWS X-Ray developer guide, "Using filter expressions"): value types only, so it can be compiled, printed or compared.
///
/// Negation is a node of its own (`!kw`, `kw = false` and `!(...)` all become `.not`), so the compiler has one
/// place that decides what "not" means for a keyword whose field is absent.
package indirect enum FilterExpression: Sendable, Hashable {
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    /// `fault`, `!partial`, `root = true`: a boolean keyword that holds.
    case flag(BooleanKeyword)
    case number(NumberKeyword, ComparisonOperator, Double)
    /// A bare number keyword (`responsetime`, `http.status`): true when the field is set (X-Ray developer guide, "Using filter expressions", operator
    /// "none"). A bare string keyword parses as `.string(kw, .contains, "")`, the guide's own long form.
    case numberIsSet(NumberKeyword)
    case string(StringKeyword, StringOperator, String)
    /// `annotation.KEY`: bare means set, or for a boolean annotation its value; otherwise compared by the
    /// literal's type.
    case annotation(key: String, AnnotationTest)
    /// `service(name) {filter}`; no selector is `service()`, any node; no filter means the node exists.
    case service(NodeSelector?, FilterExpression?)
    /// `edge(a, b) {filter}`: a call from service `a` to service `b`.
    case edge(NodeSelector, NodeSelector, FilterExpression?)
    /// `rootcause.fault.service {filter}` and its siblings.
    case rootCause(RootCauseKind, RootCauseScope, FilterExpression?)
    /// `group.name = "g"`: a filter the user saved with `xray inspect group add`.
    case group(String)
}

/// Keywords that are true or false of a trace or a node.
package enum BooleanKeyword: String, Sendable, Hashable, CaseIterable {
    case ok, error, throttle, fault, partial, inferred, first, last, remote, root
}

/// Keywords with a number value, in seconds for times.
package enum NumberKeyword: String, Sendable, Hashable, CaseIterable {
    case responseTime = "responsetime"
    case duration
    case httpStatus = "http.status"
    case index
    case coverage
}

/// Keywords with a string value.
package enum StringKeyword: String, Sendable, Hashable, CaseIterable {
    case httpURL = "http.url"
    case httpMethod = "http.method"
    case httpUserAgent = "http.useragent"
    case httpClientIP = "http.clientip"
    case user
    case name
    case type
    case message
    case availabilityZone = "availabilityzone"
    case instanceID = "instance.id"
    case resourceARN = "resource.arn"
}

package enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

    func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .equal: a == b
        case .notEqual: a != b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }
}

package enum StringOperator: String, Sendable, Hashable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case contains = "CONTAINS"
    case beginsWith = "BEGINSWITH"
    case endsWith = "ENDSWITH"
}

/// What an `annotation.KEY` term asks of the annotation.
package enum AnnotationTest: Sendable, Hashable {
    /// `annotation.KEY` alone: "true if the keyword is set. If the keyword is of boolean type, it will evaluate
    /// to the boolean value" (X-Ray developer guide, filter expressions, complex keywords).
    case bare
    case string(StringOperator, String)
    case number(ComparisonOperator, Double)
    case bool(Bool, equal: Bool)
}

/// A service in `service(...)` or `edge(...)`: a plain name, or `id(name:, type:, account.id:)` with any part omitted.
package struct NodeSelector: Sendable, Hashable {
    package var name: String?
    package var type: String?
    package var accountID: String?

    package init(name: String?, type: String? = nil, accountID: String? = nil) {
        self.name = name
        self.type = type
        self.accountID = accountID
    }
}

package enum RootCauseKind: String, Sendable, Hashable, CaseIterable {
    case fault, error, responseTime = "responsetime"
}

package enum RootCauseScope: String, Sendable, Hashable, CaseIterable {
    case service, entity
}

extension FilterExpression {
    /// The group names the expression refers to, so a caller can resolve them before compiling.
    ///
    /// Walks with a stack of its own, not recursion: a chain of ANDs is as deep as it is long.
    package var groupNames: [String] {
        var names: [String] = []
        var stack = [self]
        while let e = stack.popLast() {
            switch e {
            case .and(let a, let b), .or(let a, let b): stack.append(b); stack.append(a)
            case .not(let inner): stack.append(inner)
            case .group(let name): names.append(name)
            case .service(_, let inner?), .edge(_, _, let inner?), .rootCause(_, _, let inner?): stack.append(inner)
            default: break
            }
        }
        return names
    }
}
