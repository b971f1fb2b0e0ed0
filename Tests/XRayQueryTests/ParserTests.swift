import Testing
import XRayQuery

/// One test case per construct of the filter language: the text and the tree it must parse to.
@Suite struct ParserTests {
    static let constructs: [(String, FilterExpression)] = [
        ("fault", .flag(.fault)),
        ("!partial", .not(.flag(.partial))),
        ("throttle = true", .flag(.throttle)),
        ("error = false", .not(.flag(.error))),
        ("ok != true", .not(.flag(.ok))),
        ("root != false", .flag(.root)),
        ("inferred", .flag(.inferred)),
        ("remote", .flag(.remote)),
        ("responsetime > 5", .number(.responseTime, .greater, 5)),
        ("duration >= 5", .number(.duration, .greaterOrEqual, 5)),
        ("duration <= 8", .number(.duration, .lessOrEqual, 8)),
        ("http.status = 500", .number(.httpStatus, .equal, 500)),
        ("http.status != 200", .number(.httpStatus, .notEqual, 200)),
        ("responsetime < 0.25", .number(.responseTime, .less, 0.25)),
        ("responsetime > -1", .number(.responseTime, .greater, -1)),
        ("responsetime > 1e-3", .number(.responseTime, .greater, 0.001)),
        ("http.url = \"x\"", .string(.httpURL, .equal, "x")),
        ("http.method != \"GET\"", .string(.httpMethod, .notEqual, "GET")),
        ("http.useragent CONTAINS \"curl\"", .string(.httpUserAgent, .contains, "curl")),
        ("http.clientip BEGINSWITH \"10.\"", .string(.httpClientIP, .beginsWith, "10.")),
        ("user ENDSWITH \"a\"", .string(.user, .endsWith, "a")),
        ("name contains \"a\"", .string(.name, .contains, "a")),
        ("type = \"AWS::Lambda::Function\"", .string(.type, .equal, "AWS::Lambda::Function")),
        ("message = \"say \\\"hi\\\"\"", .string(.message, .equal, "say \"hi\"")),
        ("availabilityzone = \"us-east-1a\"", .string(.availabilityZone, .equal, "us-east-1a")),
        ("instance.id = \"i-1\"", .string(.instanceID, .equal, "i-1")),
        ("resource.arn = \"arn:x\"", .string(.resourceARN, .equal, "arn:x")),
        ("annotation.gameid = \"817DL6VO\"", .annotation(key: "gameid", .string(.equal, "817DL6VO"))),
        ("annotation.age > 29", .annotation(key: "age", .number(.greater, 29))),
        ("annotation.vip = true", .annotation(key: "vip", .bool(true, equal: true))),
        ("annotation.vip != false", .annotation(key: "vip", .bool(false, equal: false))),
        ("annotation.name CONTAINS \"x\"", .annotation(key: "name", .string(.contains, "x"))),
        ("annotation.age", .annotation(key: "age", .bare)),
        ("http.url AND responseTime > 2", .and(.string(.httpURL, .contains, ""), .number(.responseTime, .greater, 2))),
        ("!user", .not(.string(.user, .contains, ""))),
        ("responsetime", .numberIsSet(.responseTime)),
        ("!http.status OR fault", .or(.not(.numberIsSet(.httpStatus)), .flag(.fault))),
        ("service() { http.url responsetime }", .service(nil, .and(.string(.httpURL, .contains, ""), .numberIsSet(.responseTime)))),
        ("!annotation.age", .not(.annotation(key: "age", .bare))),
        ("annotation[Age] = 3", .annotation(key: "Age", .number(.equal, 3))),
        ("service(\"api\")", .service(NodeSelector(name: "api"), nil)),
        ("service() { fault }", .service(nil, .flag(.fault))),
        (
            "service(\"api\") { fault = true OR responsetime > 2.5 }",
            .service(NodeSelector(name: "api"), .or(.flag(.fault), .number(.responseTime, .greater, 2.5)))
        ),
        (
            "service(id(name: \"f\", type: \"AWS::Lambda::Function\")) { error }",
            .service(NodeSelector(name: "f", type: "AWS::Lambda::Function"), .flag(.error))
        ),
        ("service(id(account.id: \"123\"))", .service(NodeSelector(name: nil, accountID: "123"), nil)),
        ("edge(\"a\", \"b\") { error }", .edge(NodeSelector(name: "a"), NodeSelector(name: "b"), .flag(.error))),
        ("edge(id(name: \"a\"), \"b\")", .edge(NodeSelector(name: "a"), NodeSelector(name: "b"), nil)),
        ("rootcause.fault.service { name = \"Auth\" }", .rootCause(.fault, .service, .string(.name, .equal, "Auth"))),
        (
            "rootcause.responsetime.entity { last and coverage > 0.8 }",
            .rootCause(.responseTime, .entity, .and(.flag(.last), .number(.coverage, .greater, 0.8)))
        ),
        (
            "rootcause.error.entity { first OR index > 5 }",
            .rootCause(.error, .entity, .or(.flag(.first), .number(.index, .greater, 5)))
        ),
        ("rootcause.fault.entity", .rootCause(.fault, .entity, nil)),
        ("group.name = \"high\"", .group("high")),
        ("ok AND !partial", .and(.flag(.ok), .not(.flag(.partial)))),
        ("ok !partial duration < 3", .and(.and(.flag(.ok), .not(.flag(.partial))), .number(.duration, .less, 3))),
        ("fault OR error AND throttle", .or(.flag(.fault), .and(.flag(.error), .flag(.throttle)))),
        ("(fault OR error) throttle", .and(.or(.flag(.fault), .flag(.error)), .flag(.throttle))),
        ("!(fault or error)", .not(.or(.flag(.fault), .flag(.error)))),
        ("FAULT Or ResponseTime > 1", .or(.flag(.fault), .number(.responseTime, .greater, 1))),
    ]

    @Test(arguments: constructs.indices)
    func constructParses(_ i: Int) throws {
        let (text, expected) = Self.constructs[i]
        #expect(try FilterParser.parse(text) == expected, "\(text)")
    }

    /// (expression, offset of the caret, words the message must contain, whether it is "unsupported" rather than a syntax error).
    static let errors: [(String, Int, String, Bool)] = [
        ("", 0, "expression is empty", false),
        ("responsetime 5", 13, "expected a comparison (=, !=, <, <=, >, >=) after responsetime", false),
        ("responsetime >", 14, "expected a number", false),
        ("responsetime > \"5\"", 15, "expected a number after responsetime >: seconds, such as 2.5, without quotes", false),
        ("http.url > \"x\"", 9, "expected =, !=, CONTAINS, BEGINSWITH or ENDSWITH after http.url", false),
        ("http.url = 5", 11, "expected a double-quoted string", false),
        ("http.url = \"abc", 11, "no closing double quote", false),
        ("fault = maybe", 8, "expected true or false", false),
        ("fault < true", 6, "expected = or != after fault", false),
        ("fault AND", 9, "expected a keyword, ! or ( here, but the expression ends", false),
        ("fault OR OR error", 9, "expected a keyword", false),
        ("(fault", 6, "expected ) to close the parenthesis", false),
        ("fault )", 6, "expected AND, OR, another term or the end of the expression", false),
        ("fault & error", 6, "unexpected character \"&\"", false),
        ("latency > 3", 0, "unknown keyword \"latency\"; expected a keyword such as ok", false),
        ("faultt", 0, "unknown keyword \"faultt\"; did you mean fault?", false),
        ("fualt", 0, "did you mean fault?", false),
        ("respnsetime > 2", 0, "did you mean responsetime?", false),
        ("http.stauts = 500", 0, "did you mean http.status?", false),
        ("sevice(\"a\")", 0, "did you mean service?", false),
        ("http.status = \"404\"", 14, "expected a number after http.status =: an HTTP status such as 404, without quotes (http.status = 404)", false),
        ("responsetime > x", 15, "expected a number after responsetime >: seconds, such as 2.5", false),
        ("service(\"a\" { fault }", 12, "expected ) after the service name", false),
        ("service(\"a\") { fault", 20, "expected } to close the block", false),
        ("service(api)", 8, "expected a double-quoted service name or id(", false),
        ("service(id(nam: \"x\"))", 11, "expected name, type or account.id", false),
        ("service(id(name \"x\"))", 16, "expected : after the argument name", false),
        ("edge(\"a\") { error }", 8, "expected , between the two services", false),
        ("annotation.x = ", 15, "expected a value after =", false),
        ("annotation.x > \"a\"", 13, "strings compare with =, !=, CONTAINS", false),
        ("annotation.x < true", 13, "booleans compare with = or != only", false),
        ("annotation x", 11, "expected . or [ after annotation", false),
        ("rootcause.slow.service", 0, "expected rootcause.fault, rootcause.error or rootcause.responsetime", false),
        ("rootcause.fault.node", 0, "expected .service or .entity after rootcause.fault", false),
        ("group.name \"g\"", 11, "expected = after group.name", false),
        ("first", 0, "use it inside rootcause", true),
        ("index > 1", 0, "index is a position on a root cause path", true),
        ("rootcause.fault.entity { coverage > 0.5 }", 25, "coverage is a share of the response time", true),
        ("service(\"a\") { annotation.x = 1 }", 15, "annotations cannot be combined", true),
        ("service(\"a\") { service(\"b\") }", 15, "cannot be nested", true),
        ("edge(\"a\", \"b\") { message = \"x\" }", 17, "message can only be used at trace level", true),
        ("group.arn = \"arn:aws:xray:g\"", 0, "local groups have no ARN", true),
        ("rootcause.json = #[]", 0, "rootcause.json", true),
        ("rootcause.fault.exception { name = \"x\" }", 0, "rootcause.fault.exception is not evaluated locally", true),
    ]

    @Test(arguments: errors.indices)
    func errorPointsAtThePositionAndSaysWhatWasExpected(_ i: Int) {
        let (text, offset, words, unsupported) = Self.errors[i]
        do {
            _ = try FilterParser.parse(text)
            Issue.record("\(text) parsed")
        } catch {
            switch error {
            case .syntax(let expression, let at, let message) where !unsupported,
                .unsupported(let expression, let at, let message) where unsupported:
                #expect(expression == text)
                #expect(at == offset, "\(text): \(message)")
                #expect(message.contains(words), "\(text): \(message)")
                let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
                #expect(lines.count == 3)
                #expect(lines[1] == "  " + text[...])
                #expect(lines[2] == "  " + String(repeating: " ", count: offset) + "^")
            default:
                Issue.record("\(text): unexpected \(error)")
            }
        }
    }
}
