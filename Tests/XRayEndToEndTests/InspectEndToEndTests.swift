import Foundation
import Testing
import XRayTestSupport

/// `xray inspect` through the built binary, on the captured SDK fixtures.
@Suite struct InspectEndToEndTests {
    let dir: URL
    let store: String

    init() throws {
        dir = try makeTemporaryDirectory("inspect")
        store = dir.appendingPathComponent("traces.sqlite").path
    }

    func fixture(_ name: String) -> String { fixturesDirectory.appendingPathComponent("sdk/\(name).jsonl").path }

    /// People read local time with its offset; machine formats keep UTC. A POSIX `TZ` needs no zone files.
    @Test func tablesShowLocalTimeAndMachineFormatsUTC() throws {
        #expect(try XRayBinary.run(["inspect", "import", "--store", store, fixture("aiohttp")]).status == 0)
        let india = ["TZ": "IST-5:30"]
        let table = try XRayBinary.run(["inspect", "traces", "--store", store], environment: india)
        #expect(table.stdout.contains("+05:30  "), "\(table.stdout)")
        #expect(!table.stdout.contains("Z  "))
        let csv = try XRayBinary.run(["inspect", "traces", "--format", "csv", "--store", store], environment: india)
        #expect(csv.stdout.contains("Z,") && !csv.stdout.contains("+05:30"), "\(csv.stdout)")
        let utc = try XRayBinary.run(["inspect", "traces", "--store", store], environment: ["TZ": "UTC0"])
        #expect(utc.stdout.contains("Z  "), "\(utc.stdout)")
    }

    @Test func importThenShowEveryFormat() throws {
        let imported = try XRayBinary.run(["inspect", "import", "--store", store, fixture("aiohttp")])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("imported 2 documents (1 trace) into "), "\(imported.stderr)")
        let again = try XRayBinary.run(["inspect", "import", "--store", store, fixture("aiohttp")])
        #expect(again.stderr.contains("imported no new documents into "), "\(again.stderr)")
        #expect(again.stderr.contains(": 2 duplicates, 0 stale in-progress, 0 rejected"), "\(again.stderr)")

        let tree = try XRayBinary.run(["inspect", "show", "last", "--store", store])
        #expect(tree.status == 0)
        let lines = tree.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[1].hasPrefix("aiohttp-front  [segment]"))
        #expect(lines[1].contains("GET /checkout 200"))
        #expect(lines[2].hasPrefix("└─ 127.0.0.1  [subsegment remote]"))
        #expect(lines[3].hasPrefix("   └─ aiohttp-front  [segment]"))

        let json = try XRayBinary.run(["inspect", "show", "last", "--format", "json", "--store", store])
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect(Set(object.keys) == ["trace_id", "start_time", "end_time", "duration", "segments"])
        let root = try #require((object["segments"] as? [[String: Any]])?.first)
        #expect(root["name"] as? String == "aiohttp-front")
        #expect(root["subsegments"] == nil, "inline subsegments become children")
        let child = try #require((root["children"] as? [[String: Any]])?.first)
        #expect(child["namespace"] as? String == "remote")

        let xray = try XRayBinary.run(["inspect", "show", "last", "--format", "xray", "--store", store])
        let batch = try #require(try JSONSerialization.jsonObject(with: xray.stdoutData) as? [String: Any])
        let traces = try #require(batch["Traces"] as? [[String: Any]])
        #expect((traces[0]["Segments"] as? [[String: Any]])?.count == 2, "one Document per segment")
        #expect((traces[0]["Segments"] as? [[String: Any]])?.allSatisfy { $0["Document"] is String } == true)
    }

    @Test func aUniquePrefixSelectsATraceAndAnUnknownOneExits66() throws {
        try XRayBinary.run(["inspect", "import", "--store", store, fixture("batch")])
        let list = try XRayBinary.run(["inspect", "traces", "--format", "jsonl", "--store", store])
        let id = try #require(list.stdout.split(separator: "\"").dropFirst(3).first.map(String.init))
        let shown = try XRayBinary.run(["inspect", "show", String(id.prefix(14)), "--store", store])
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix(id))
        let missing = try XRayBinary.run(["inspect", "show", "1-00000000", "--store", store])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("no stored trace matches"))
    }

    @Test func exportThenImportGivesBackTheSameTraces() throws {
        for name in ["flask", "django", "aiohttp", "batch"] {
            try XRayBinary.run(["inspect", "import", "--store", store, fixture(name)])
        }
        for format in ["xray", "jsonl"] {
            let exported = try XRayBinary.run(["inspect", "export", "--format", format, "--store", store])
            #expect(exported.status == 0)
            let copy = dir.appendingPathComponent("copy-\(format).sqlite").path
            let reimported = try XRayBinary.run(["inspect", "import", "--store", copy, "-"], stdin: exported.stdoutData)
            #expect(reimported.status == 0, "\(reimported.stderr)")
            let a = try XRayBinary.run(["inspect", "traces", "--format", "csv", "--limit", "100", "--store", store])
            let b = try XRayBinary.run(["inspect", "traces", "--format", "csv", "--limit", "100", "--store", copy])
            #expect(a.stdout == b.stdout)
            #expect(a.stdout.split(separator: "\n").count == 11, "a header and ten traces")
            for line in a.stdout.split(separator: "\n").dropFirst() {
                let id = String(line.prefix(35))
                let showA = try XRayBinary.run(["inspect", "show", id, "--format", "json", "--store", store])
                let showB = try XRayBinary.run(["inspect", "show", id, "--format", "json", "--store", copy])
                #expect(showA.stdout == showB.stdout, "\(format) \(id)")
            }
        }
    }

    @Test func badLinesAreReportedKeptAsRejectsAndExit65() throws {
        let file = dir.appendingPathComponent("mixed.jsonl")
        let good = try String(contentsOfFile: fixture("flask"), encoding: .utf8).split(separator: "\n")[1]
        try Data((good + "\n{\"name\": 1}\nnot json at all\n").utf8).write(to: file)
        let result = try XRayBinary.run(["inspect", "import", "--store", store, file.path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("\(file.path):2: field trace_id: missing"))
        #expect(result.stderr.contains("\(file.path):3: not JSON: byte 0"))
        let rejects = try XRayBinary.run(["inspect", "rejects", "--format", "json", "--store", store])
        let list = try #require(try JSONSerialization.jsonObject(with: rejects.stdoutData) as? [[String: Any]])
        #expect(list.count == 2)
        #expect(list.map { $0["raw"] as? String } == ["not json at all", "{\"name\": 1}"])
        let traces = try XRayBinary.run(["inspect", "traces", "--format", "jsonl", "--store", store])
        #expect(traces.stdout.split(separator: "\n").count == 1, "the good document was stored")
    }

    @Test func aMissingFileExits66AndAnEmptyStoreSaysHowToFillIt() throws {
        let missing = try XRayBinary.run(["inspect", "import", "--store", store, dir.appendingPathComponent("nope.jsonl").path])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("cannot open"))
        let empty = try XRayBinary.run(["inspect", "show", "last", "--store", dir.appendingPathComponent("none.sqlite").path])
        #expect(empty.status == 66)
        #expect(empty.stderr.contains("xray inspect import"))
    }

    @Test func storeFileIsCreatedPrivateAndXRayStoreEnvironmentIsHonoured() throws {
        let path = dir.appendingPathComponent("env/traces.sqlite").path
        let result = try XRayBinary.run(["inspect", "import", fixture("django")], environment: ["XRAY_STORE": path])
        #expect(result.status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func multiCallNamesDispatchToTheSubcommand() throws {
        let link = dir.appendingPathComponent("xray-inspect")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: XRayBinary.url)
        let result = try XRayBinary.run(["traces", "--store", store], executable: link)
        #expect(result.status == 66 || result.status == 0)
        #expect(!result.stderr.contains("Unexpected argument"))
        let help = try XRayBinary.run(["--help"], executable: link)
        #expect(help.stdout.contains("USAGE: xray-inspect <subcommand>"))
    }

    @Test func usageErrorsExit64() throws {
        let result = try XRayBinary.run(["inspect", "traces", "--limit", "0"])
        #expect(result.status == 64)
    }

    @Test func colourFollowsTheColorFlagAndNoColor() throws {
        try XRayBinary.run(["inspect", "import", "--store", store, fixture("flask")])
        let always = try XRayBinary.run(["inspect", "show", "last", "--color", "always", "--store", store])
        #expect(always.stdout.contains("\u{1B}["))
        let auto = try XRayBinary.run(["inspect", "show", "last", "--color", "auto", "--store", store])
        #expect(!auto.stdout.contains("\u{1B}["), "not a terminal, and NO_COLOR is set")
        let never = try XRayBinary.run(["inspect", "traces", "--color", "never", "--store", store], environment: ["NO_COLOR": ""])
        #expect(!never.stdout.contains("\u{1B}["))
        let waterfall = try XRayBinary.run(
            ["inspect", "show", "last", "--format", "waterfall", "--color", "always", "--store", store],
            environment: ["COLUMNS": "80"])
        #expect(waterfall.stdout.contains("\u{1B}[") && waterfall.stdout.contains("│"))
    }
}
