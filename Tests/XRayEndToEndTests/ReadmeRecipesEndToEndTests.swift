import Foundation
import Testing
import XRayTestSupport

/// The README's framework recipes are excerpts of the apps under `examples/`, and those apps record their
/// requests under `xray run`: the recipes cannot drift from code that works.
@Suite struct ReadmeRecipesEndToEndTests {
    static let root = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()

    /// Every ```python block of the README that starts with `# from examples/NAME`: the file and the
    /// excerpt's pieces (separated by lines of `...`).
    static func recipes() throws -> [(file: String, pieces: [String])] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var out: [(String, [String])] = []
        for block in readme.components(separatedBy: "```python\n").dropFirst() {
            guard let end = block.range(of: "\n```") else { continue }
            var lines = block[..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let first = lines.first, first.hasPrefix("# from examples/") else { continue }
            lines.removeFirst()
            let pieces = lines.split(separator: "...").map { $0.joined(separator: "\n") }
            out.append((String(first.dropFirst("# from ".count)), pieces))
        }
        return out
    }

    @Test func everyRecipeIsVerbatimInItsExample() throws {
        let recipes = try Self.recipes()
        #expect(Set(recipes.map(\.file)) == ["examples/flask_app.py", "examples/django_app.py", "examples/aiohttp_app.py"])
        for recipe in recipes {
            let source = try String(contentsOf: Self.root.appendingPathComponent(recipe.file), encoding: .utf8)
            for piece in recipe.pieces {
                #expect(source.contains(piece), "README excerpt not in \(recipe.file):\n\(piece)")
            }
        }
    }

    /// Each example under `xray run` (the aiohttp server driven over a real port) records a request
    /// segment with the example's service name and a 200.
    @Test(
        .enabled(if: testPython != nil),
        arguments: [
            ("examples/flask_app.py", "shop", "/orders/ada"),
            ("examples/django_app.py", "my-site", "/orders/ada/"),
            ("examples/aiohttp_app.py", "front", "/checkout"),
        ])
    func eachExampleRecordsItsRequestsUnderXRayRun(_ file: String, _ service: String, _ path: String) throws {
        let python = try #require(testPython)
        let dir = try makeTemporaryDirectory("recipes")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("traces.sqlite").path
        let app = Self.root.appendingPathComponent(file).path
        var command = [python, app]
        if file.contains("aiohttp") {
            let port = String(Int.random(in: 20_000..<40_000))
            command = [python, fixturesDirectory.appendingPathComponent("apps/drive.py").path, port, path, "--", python, app, port]
        }
        let result = try XRayBinary.run(["run", "--store", store, "--"] + command)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("cannot find the current segment"), "the SDK had a segment for every request")
        let traces = try XRayBinary.run(["inspect", "traces", "--run", "last", "--format", "csv", "--store", store])
        let request = traces.stdout.split(separator: "\n").first { $0.contains(",\(service),GET,") && $0.contains("\(path),200,") }
        #expect(request != nil, "\(traces.stdout)")
    }
}
