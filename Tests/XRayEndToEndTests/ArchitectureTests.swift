import Foundation
import Testing

/// The module graph cannot drift: every module a target imports is one Package.swift declares for it (so no
/// module reaches one above it through a transitive import), and ARCHITECTURE.md names every target.
@Suite struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Each target of Package.swift with the names in its `dependencies:` list (targets and products).
    static func targets() throws -> [(name: String, kind: String, dependencies: Set<String>)] {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declaration = try Regex(#"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([A-Za-z]+)""#)
        var out: [(String, String, Set<String>)] = []
        for match in text.matches(of: declaration) {
            let kind = String(match.output[1].substring ?? ""), name = String(match.output[2].substring ?? "")
            // The dependency list, if any, is the first `[...]` after `dependencies:` before the next target.
            let rest = text[match.range.upperBound...]
            let end = rest.firstMatch(of: declaration)?.range.lowerBound ?? rest.endIndex
            let body = rest[..<end]
            var dependencies = Set<String>()
            if let list = body.firstRange(of: "dependencies:"), let open = body[list.upperBound...].firstIndex(of: "["),
                let close = body[open...].firstIndex(of: "]")
            {
                for quoted in body[open...close].matches(of: try Regex(#""([A-Za-z-]+)""#)) {
                    dependencies.insert(String(quoted.output[1].substring ?? ""))
                }
            }
            out.append((name, kind, dependencies))
        }
        return out
    }

    static func imports(of folder: URL) throws -> Set<String> {
        var found = Set<String>()
        let importLine = try Regex(#"^\s*(?:@_exported\s+|@testable\s+|internal\s+|package\s+)?import\s+([A-Za-z]+)"#).anchorsMatchLineEndings()
        for case let file as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) ?? .init()
        where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            // Python or shell inside raw strings is not Swift: only lines before the first multi-line string count.
            let swift = text.components(separatedBy: "\"\"\"").enumerated().filter { $0.offset % 2 == 0 }.map(\.element).joined()
            for match in swift.matches(of: importLine) { found.insert(String(match.output[1].substring ?? "")) }
        }
        return found
    }

    @Test func everyImportIsADeclaredDependency() throws {
        let system: Set<String> = ["Foundation", "FoundationEssentials", "Glibc", "Darwin", "Synchronization", "Dispatch", "Testing"]
        let targets = try Self.targets()
        #expect(targets.count > 20, "Package.swift parsed: \(targets.map(\.name))")
        for target in targets where target.kind != "systemLibrary" {
            let folder = target.kind == "testTarget" || target.name == "XRayTestSupport" ? "Tests" : "Sources"
            let imports = try Self.imports(of: Self.root.appendingPathComponent("\(folder)/\(target.name)"))
            let undeclared = imports.subtracting(target.dependencies).subtracting(system).subtracting(["ArgumentParser"])
            #expect(undeclared.isEmpty, "\(target.name) imports \(undeclared.sorted()) without declaring them in Package.swift")
        }
    }

    @Test func architectureNamesEveryTarget() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("ARCHITECTURE.md"), encoding: .utf8)
        for target in try Self.targets() where target.kind != "testTarget" {
            #expect(text.contains(target.name), "ARCHITECTURE.md does not name \(target.name)")
        }
    }
}
