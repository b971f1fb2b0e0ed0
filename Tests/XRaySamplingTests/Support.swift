import Foundation
import XRaySampling
import XRayTestSupport
import XRayWire

/// `Tests/Fixtures/rules`, where the rule files, requests and the oracle's expectations are checked in.
let rulesFixtures = fixturesDirectory.appendingPathComponent("rules")

func fixtureBytes(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: rulesFixtures.appendingPathComponent(name)))
}

func loadFixture(_ name: String) throws -> RuleDocument {
    try RuleDocument.load(fixtureBytes(name), file: name)
}

func loadDocument(_ text: String, format: RuleFileFormat? = nil) throws -> RuleDocument {
    try RuleDocument.load(Array(text.utf8), file: "rules.json", format: format)
}

/// The oracle's JSON Lines file, one value per line.
func expectedLines(_ name: String) throws -> [JSONValue] {
    let text = String(decoding: try fixtureBytes("expected/" + name), as: UTF8.self)
    return try text.split(separator: "\n").map { try JSONParser.parse(String($0)).value }
}

/// Whether `actual` holds every key of `expected` with an equal value, numbers compared by value
/// (the oracle writes `1.0` where xray repeats the `1` of the rule file).
func agrees(_ actual: JSONValue?, with expected: JSONValue) -> Bool {
    switch (actual, expected) {
    case (.number(let a)?, .number(let e)): return a.double == e.double
    case (.object(let a)?, .object(let e)):
        return e.allSatisfy { member in agrees(a[member.key], with: member.value) }
    case (.array(let a)?, .array(let e)):
        return a.count == e.count && zip(a, e).allSatisfy { agrees($0, with: $1) }
    case (let a?, let e): return a == e
    case (nil, _): return false
    }
}
