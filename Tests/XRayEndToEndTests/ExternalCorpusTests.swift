import Foundation
import Testing
import XRayTestSupport

/// Segment documents written by other projects, each imported alone into a fresh store, against the
/// verdict the corpus README gives it: valid ones are stored and exported byte for byte, invalid ones
/// are rejected with a reason and listed by `inspect rejects`, "either" ones end cleanly one way or the other.
@Suite struct ExternalCorpusTests {
    /// `../shared/corpus/external` next to the repository root (where CI puts it), or `$XRAY_TEST_CORPUS`
    /// for a checkout that lives elsewhere.
    static let folder: URL = {
        if let path = ProcessInfo.processInfo.environment["XRAY_TEST_CORPUS"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus/external")
    }()

    enum Verdict: String { case valid, invalid, either }

    struct Case: CustomStringConvertible, Sendable {
        var file: String
        var verdict: Verdict
        var description: String { "\(file) (\(verdict.rawValue))" }
    }

    /// The README table's rows: `| `file` | repo | path | commit | verdict ... |`.
    static let cases: [Case] = {
        guard let text = try? String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> Case? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5, cells[0].hasPrefix("`"), cells[0].hasSuffix("`") else { return nil }
            let file = String(cells[0].dropFirst().dropLast())
            guard let word = cells[4].split(whereSeparator: { $0 == ":" || $0 == " " }).first,
                let verdict = Verdict(rawValue: String(word))
            else { return nil }
            return Case(file: file, verdict: verdict)
        }
    }()

    static var corpusPresent: Bool { !cases.isEmpty }

    /// Removes whitespace outside strings: one JSON line with key order and number text untouched.
    static func compact(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var inString = false, escaped = false
        for b in bytes {
            if inString {
                out.append(b)
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { continue }
            if b == UInt8(ascii: "\"") { inString = true }
            out.append(b)
        }
        return out
    }

    /// The input to import, and the documents a lossless store must give back.
    static func input(_ c: Case) throws -> (bytes: [UInt8], documents: [String]) {
        let raw = Array(try Data(contentsOf: folder.appendingPathComponent("docs").appendingPathComponent(c.file)))
        if c.file.hasSuffix(".batch.json") {
            let object = try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any]
            let documents = ((object?["Traces"] as? [[String: Any]]) ?? []).flatMap {
                (($0["Segments"] as? [[String: Any]]) ?? []).compactMap { $0["Document"] as? String }
            }
            return (raw, documents)
        }
        if c.file.hasSuffix(".jsonl") {
            let lines = String(decoding: raw, as: UTF8.self).split(separator: "\n").map(String.init)
            return (raw, lines.filter { !$0.contains(#""format""#) || $0.contains(#""trace_id""#) })
        }
        let isJSON = (try? JSONSerialization.jsonObject(with: Data(raw))) != nil
        let line = isJSON ? compact(raw) : raw
        return (line + [0x0A], [String(decoding: line, as: UTF8.self)])
    }

    @Test(.enabled(if: corpusPresent, "the external corpus is not at ../shared/corpus/external"), arguments: cases)
    func eachDocumentGetsItsVerdict(_ c: Case) throws {
        let work = try makeTemporaryDirectory("xray-corpus")
        defer { try? FileManager.default.removeItem(at: work) }
        let store = work.appendingPathComponent("traces.sqlite").path
        let (bytes, documents) = try Self.input(c)
        let file = work.appendingPathComponent(c.file.hasSuffix(".batch.json") ? "input.json" : "input.jsonl")
        try Data(bytes).write(to: file)
        let imported = try XRayBinary.run(["inspect", "import", file.path, "--store", store])
        let rejects = try XRayBinary.run(["inspect", "rejects", "--store", store])
        switch (c.verdict, imported.status) {
        case (.valid, _), (.either, 0):
            #expect(imported.status == 0, "\(c): \(imported.stderr)")
            let exported = try XRayBinary.run(["inspect", "export", "--format", "jsonl", "--store", store])
            let back = exported.stdout.split(separator: "\n").map(String.init)
            #expect(back.sorted() == documents.sorted(), "\(c): stored documents differ from the input")
        case (.invalid, _), (.either, _):
            #expect(imported.status == 65, "\(c): \(imported.stderr)")
            #expect(imported.stderr.contains("input."), "\(c): no FILE:LINE in \(imported.stderr)")
            #expect(!rejects.stdout.isEmpty, "\(c): not listed by inspect rejects")
            let count = try XRayBinary.run(["inspect", "traces", "--count", "--store", store])
            #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0" || count.status == 66, "\(c): \(count.stdout)")
        }
    }
}
