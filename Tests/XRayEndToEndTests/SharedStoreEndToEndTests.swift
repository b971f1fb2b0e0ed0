import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import XRayTestSupport
#endif

/// Several xray processes on one store, poison documents, failing stores, and the store's files, all
/// through the built binary.
@Suite(.serialized) struct SharedStoreEndToEndTests {
    static let header = #"{"format":"json","version":1}"#

    static func segment(_ n: Int, start: String = "1602537378.1", end: String = "1602537378.2", pad: Int = 0) -> String {
        let trace = String(format: "1-5f84c7a1-%024x", n)
        let metadata = pad > 0 ? #","metadata":{"pad":"\#(String(repeating: "x", count: pad))"}"# : ""
        return #"{"trace_id":"\#(trace)","id":"00000000000000aa","name":"shared","start_time":\#(start),"end_time":\#(end)\#(metadata)}"#
    }

    /// Sends one datagram per document (header line first) from one socket.
    static func send(_ documents: [String], port: Int) {
        UDP.send(documents.map { header + "\n" + $0 }, port: port)
    }

    static func traceCount(_ store: String) throws -> Int {
        let result = try XRayBinary.run(["inspect", "traces", "--count", "--include-runs", "--store", store])
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Polls (bounded) until the store holds `count` traces; returns the last count seen.
    @discardableResult
    static func waitForTraces(_ count: Int, in store: String, seconds: Double = 20) throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var seen = -1
        while Date() < deadline {
            seen = try traceCount(store)
            if seen >= count { return seen }
            usleep(50_000)
        }
        return seen
    }

    /// The last JSON event a `--json` daemon printed (its counters).
    static func lastEvent(_ stdout: String) -> [String: Any] {
        let events = stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return events.last ?? [:]
    }

    static func jsonLines(_ range: Range<Int>, poison: Int? = nil) -> Data {
        var text = ""
        for n in range {
            text += (n == poison ? segment(n, start: "1e400", end: "1e400") : segment(n)) + "\n"
        }
        return Data(text.utf8)
    }

    /// The live view reads each trace back after its commit; runs, imports and a vacuuming prune write the
    /// same store in between: the daemon keeps storing everything and exits 0.
    @Test func theDaemonKeepsStoringWhileRunsImportsAndPruneWriteItsStore() throws {
        let folder = try makeTemporaryDirectory("xray-shared")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        // The OTLP listeners are off: their default ports may be taken, a warning this test must not mistake.
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--otlp-http", "off", "--otlp-grpc", "off", "--store", store])
        defer { daemon.kill() }
        Self.send((1...100).map { Self.segment($0) }, port: daemon.port)
        #expect(try Self.waitForTraces(100, in: store) == 100)
        let run = try XRayBinary.run(["run", "--quiet", "--store", store, "--", "true"])
        #expect(run.status == 0, "\(run.stderr)")
        let file = folder.appendingPathComponent("more.jsonl")
        try Self.jsonLines(10_001..<10_051).write(to: file)
        let imported = try XRayBinary.run(["inspect", "import", file.path, "--store", store])
        #expect(imported.status == 0, "\(imported.stderr)")
        let pruned = try XRayBinary.run(["inspect", "prune", "--keep-last", "100000", "--vacuum", "--store", store])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        Self.send((101...400).map { Self.segment($0) }, port: daemon.port)
        #expect(try Self.waitForTraces(451, in: store) == 451)
        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("stored 400,"), "\(stopped.stderr.suffix(600))")
        #expect(!stopped.stderr.contains("LOST"))
        #expect(!stopped.stderr.contains("warning"))
    }

    /// Two daemons write one store during a flood: every document either stored is in it.
    @Test func twoDaemonsFloodingOneStoreLoseNothing() throws {
        let folder = try makeTemporaryDirectory("xray-shared-two")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let first = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--json", "--store", store])
        defer { first.kill() }
        let second = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--json", "--store", store])
        defer { second.kill() }
        let (p1, p2) = (first.port, second.port)
        let done = DispatchGroup()
        for (port, offset) in [(p1, 0), (p2, 5_000)] {
            done.enter()
            Thread {
                Self.send((1...5_000).map { Self.segment(offset + $0) }, port: port)
                done.leave()
            }.start()
        }
        done.wait()
        try Self.waitForTraces(10_000, in: store)
        let a = first.stop(signal: SIGTERM), b = second.stop(signal: SIGTERM)
        #expect(a.status == 0 && b.status == 0, "\(a.stdout.suffix(400)) \(b.stdout.suffix(400))")
        let ca = Self.lastEvent(a.stdout), cb = Self.lastEvent(b.stdout)
        #expect(ca["store_failures"] as? Int == 0 && cb["store_failures"] as? Int == 0)
        let stored = (ca["stored"] as? Int ?? -1) + (cb["stored"] as? Int ?? -1)
        #expect(stored == 10_000 - (ca["kernel_drops"] as? Int ?? 0) - (cb["kernel_drops"] as? Int ?? 0))
        #expect(try Self.traceCount(store) == stored)
    }

    /// A datagram whose times are `1e400` among 2,000 good ones is rejected with its field named; the others are stored.
    @Test func aPoisonDatagramCostsOnlyItself() throws {
        let folder = try makeTemporaryDirectory("xray-poison")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        Self.send((1...2_000).map { $0 == 1_000 ? Self.segment($0, start: "1e400", end: "1e400") : Self.segment($0) }, port: daemon.port)
        try Self.waitForTraces(1_999, in: store)
        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("stored 1999, duplicates 0, rejected 1"), "\(stopped.stderr)")
        #expect(try Self.traceCount(store) == 1_999)
        let rejects = try XRayBinary.run(["inspect", "rejects", "--store", store])
        #expect(rejects.stdout.contains("start_time"), "\(rejects.stdout)")
        #expect(rejects.stdout.contains("1e400"))
    }

    /// Import of 10,000 lines with one poison line: it is named FILE:LINE, kept as a reject, and the exit status is 65.
    @Test func importNamesThePoisonLineAndStoresTheRest() throws {
        let folder = try makeTemporaryDirectory("xray-poison-import")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let file = folder.appendingPathComponent("big.jsonl")
        try Self.jsonLines(1..<10_001, poison: 5_000).write(to: file)
        let result = try XRayBinary.run(["inspect", "import", file.path, "--store", store])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("big.jsonl:5000: field start_time"), "\(result.stderr)")
        #expect(result.stderr.contains("imported 9999 documents"))
        #expect(try Self.traceCount(store) == 9_999)
        let rejects = try XRayBinary.run(["inspect", "rejects", "--store", store])
        #expect(rejects.stdout.contains("big.jsonl:5000"))
    }

    /// A JSON-lines file whose first line is not JSON: that line is a reject named FILE:1, the rest is stored,
    /// and a `"cause": 200` document is kept with a warning on its entity.
    @Test func importReadsEveryLineWhenTheFirstIsNotJSON() throws {
        let folder = try makeTemporaryDirectory("xray-import-first")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let file = folder.appendingPathComponent("lines.jsonl")
        let withCause = Self.segment(2).replacingOccurrences(of: #""name""#, with: #""cause":200,"name""#)
        try Data(("not json at all\n" + Self.segment(1) + "\n" + withCause + "\n").utf8).write(to: file)
        let result = try XRayBinary.run(["inspect", "import", file.path, "--store", store])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("lines.jsonl:1: not JSON"), "\(result.stderr)")
        #expect(result.stderr.contains("imported 2 documents"))
        let rejects = try XRayBinary.run(["inspect", "rejects", "--store", store])
        #expect(rejects.stdout.contains("not json at all"))
        let trace = String(format: "1-5f84c7a1-%024x", 2)
        let shown = try XRayBinary.run(["inspect", "show", trace, "--store", store])
        #expect(shown.stdout.contains("warning: cause is a number"), "\(shown.stdout)")
        let exported = try XRayBinary.run(["inspect", "export", trace, "--format", "jsonl", "--store", store])
        #expect(exported.stdout.contains(withCause))
    }

    /// After a daemon, an import and a vacuuming prune exit, the store is one file: copied alone, it has
    /// every trace. (`xray run` leaves its few pages in the WAL for the next of them, to start fast.)
    @Test func theStoreIsOneFileAfterEachWriterExits() throws {
        let folder = try makeTemporaryDirectory("xray-one-file")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        func copyAlone() throws -> Int {
            let wal = (try? FileManager.default.attributesOfItem(atPath: store + "-wal")[.size] as? Int) ?? 0
            #expect(wal == 0, "the WAL still holds \(wal) bytes")
            let copy = folder.appendingPathComponent("copy-\(UUID().uuidString).sqlite").path
            try FileManager.default.copyItem(atPath: store, toPath: copy)
            return try Self.traceCount(copy)
        }
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        Self.send((1...100).map { Self.segment($0) }, port: daemon.port)
        try Self.waitForTraces(100, in: store)
        #expect(daemon.stop(signal: SIGTERM).status == 0)
        #expect(try copyAlone() == 100)
        let file = folder.appendingPathComponent("more.jsonl")
        try Self.jsonLines(101..<201).write(to: file)
        #expect(try XRayBinary.run(["inspect", "import", file.path, "--store", store]).status == 0)
        #expect(try copyAlone() == 200)
        #expect(try XRayBinary.run(["run", "--quiet", "--store", store, "--", "true"]).status == 0)
        #expect(try XRayBinary.run(["inspect", "prune", "--keep-last", "1000", "--store", store]).status == 0)
        #expect(try copyAlone() == 201)
    }

    /// A damaged store is refused at start-up with exit 74, by the daemon and by import.
    @Test func aDamagedStoreIsRefusedAtStartUp() throws {
        let folder = try makeTemporaryDirectory("xray-corrupt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let file = folder.appendingPathComponent("lines.jsonl")
        try Self.jsonLines(1..<3_001).write(to: file)
        #expect(try XRayBinary.run(["inspect", "import", file.path, "--store", store]).status == 0)
        let handle = try #require(FileHandle(forWritingAtPath: store))
        try handle.seek(toOffset: 4096 * 4)
        handle.write(Data(repeating: 0xA5, count: 4096 * 8))
        try handle.close()
        let daemon = try XRayBinary.run(["daemon", "--listen", "127.0.0.1:0", "--store", store])
        #expect(daemon.status == 74, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("is damaged"), "\(daemon.stderr)")
        let imported = try XRayBinary.run(["inspect", "import", file.path, "--store", store])
        #expect(imported.status == 74, "\(imported.stderr)")
        #expect(imported.stderr.contains("is damaged"))
    }

    /// Deleting the WAL of a running daemon's store is reported, its commits are saved into the store
    /// file, and the exit status is 74.
    @Test func aDeletedWALIsReportedAndItsCommitsKept() throws {
        let folder = try makeTemporaryDirectory("xray-wal")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        Self.send((1...1_000).map { Self.segment($0) }, port: daemon.port)
        try Self.waitForTraces(1_000, in: store)
        try FileManager.default.removeItem(atPath: store + "-wal")
        Self.send((1_001...2_000).map { Self.segment($0) }, port: daemon.port)
        let deadline = Date().addingTimeInterval(20)
        while !daemon.stderr.text.contains("WAL file"), Date() < deadline { usleep(20_000) }
        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.status == 74, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("was deleted or replaced while in use"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("stored 2000,"))
        #expect(try Self.traceCount(store) == 2_000)
    }

    /// `--forward` to the daemon's own UDP address, however spelled, is a usage error (64), not a loop.
    @Test(arguments: [("127.0.0.1", "localhost"), ("0.0.0.0", "127.0.0.1"), ("127.0.0.1", "0.0.0.0")])
    func forwardingToItselfIsRefused(listen: String, forward: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Int32 in
                _ = bind(fd, sa, length)
                return getsockname(fd, sa, &length)
            }
        }
        close(fd)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let folder = try makeTemporaryDirectory("xray-self")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try XRayBinary.run([
            "daemon", "--listen", "\(listen):\(port)", "--forward", "\(forward):\(port)",
            "--store", folder.appendingPathComponent("t.sqlite").path,
        ])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("own UDP address"))
    }

    /// A 2 MB file system for the store: root can mount one (CI runs as root); elsewhere the test is skipped.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("xray-tmpfs-probe-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(probe)
        return true
    }()

    /// A store on a full 2 MB file system: the failure is a warning when it happens, PutTraceSegments
    /// acknowledges only what was committed, the counters say what was lost, and the exit status is 74.
    @Test(.enabled(if: canMountTmpfs, "needs root to mount a 2 MB tmpfs"))
    func aFullDiskIsLoudAndAcknowledgementsMeanCommitted() throws {
        let folder = try makeTemporaryDirectory("xray-full")
        defer { try? FileManager.default.removeItem(at: folder) }
        try #require(mount("tmpfs", folder.path, "tmpfs", 0, "size=2m") == 0)
        defer { umount2(folder.path, Int32(MNT_DETACH)) }
        let store = folder.appendingPathComponent("traces.sqlite").path
        let daemon = try DaemonProcess.start(["daemon", "--listen", "127.0.0.1:0", "--quiet", "--store", store])
        defer { daemon.kill() }
        Self.send((1...6_000).map { Self.segment($0, pad: 300) }, port: daemon.port)
        let deadline = Date().addingTimeInterval(20)
        while !daemon.stderr.text.contains("cannot write to the store"), Date() < deadline { usleep(20_000) }
        #expect(daemon.stderr.text.contains("database or disk is full"), "\(daemon.stderr.text)")
        let documents = (20_001...20_030).map {
            Self.segment($0, pad: 2_000).replacingOccurrences(of: "00000000000000aa", with: String(format: "%016x", $0))
        }
        let body = try JSONSerialization.data(withJSONObject: ["TraceSegmentDocuments": documents])
        let answer = try HTTP.post(port: daemon.port, "/TraceSegments", String(decoding: body, as: UTF8.self))
        var acknowledged: [Int] = []
        if answer.status == 200 {
            let parsed = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            let unprocessed = (parsed?["UnprocessedTraceSegments"] as? [[String: Any]]) ?? []
            #expect(unprocessed.isEmpty || unprocessed.allSatisfy { $0["ErrorCode"] != nil })
            let refused = Set(unprocessed.compactMap { ($0["Id"] as? String).flatMap { Int($0, radix: 16) } })
            acknowledged = (20_001...20_030).filter { !refused.contains($0) }
        } else {
            #expect(answer.status == 503, "\(answer)")
        }
        let stopped = daemon.stop(signal: SIGTERM)
        #expect(stopped.status == 74, "\(stopped.stderr.suffix(800))")
        #expect(stopped.stderr.contains("LOST"), "\(stopped.stderr.suffix(800))")
        for n in acknowledged {
            let shown = try XRayBinary.run(["inspect", "show", String(format: "1-5f84c7a1-%024x", n), "--store", store])
            #expect(shown.status == 0, "acknowledged document \(n) is not in the store")
        }
    }

    /// An import that fills an 8 MB file system part-way exits 74 and says how many documents it
    /// stored: exactly the ones the store holds (a few 4,000-document transactions fit, then one fails).
    @Test(.enabled(if: canMountTmpfs, "needs root to mount a 2 MB tmpfs"))
    func anImportOntoAFullDiskSaysExactlyWhatItStored() throws {
        let folder = try makeTemporaryDirectory("xray-full-import")
        defer { try? FileManager.default.removeItem(at: folder) }
        let disk = folder.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        try #require(mount("tmpfs", disk.path, "tmpfs", 0, "size=8m") == 0)
        defer { umount2(disk.path, Int32(MNT_DETACH)) }
        let store = disk.appendingPathComponent("traces.sqlite").path
        let file = folder.appendingPathComponent("big.jsonl")
        try Data((1...12_000).map { Self.segment($0) + "\n" }.joined().utf8).write(to: file)
        let result = try XRayBinary.run(["inspect", "import", file.path, "--store", store])
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("database or disk is full"), "\(result.stderr)")
        let said = result.stderr.firstRange(of: #/; (\d+) documents of this file were stored/#).flatMap { Int(result.stderr[$0].split(separator: " ")[1]) }
        let stored = try #require(said, "\(result.stderr)")
        #expect(stored > 0 && stored < 12_000 && stored % 4_000 == 0, "\(result.stderr)")
        #expect(try Self.traceCount(store) == stored)
    }
}
