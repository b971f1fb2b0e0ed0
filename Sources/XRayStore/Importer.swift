import Dispatch
import Synchronization
import XRaySystem
import XRayWire

#if canImport(Glibc)
import Glibc
#endif

/// The file shapes `xray inspect import` reads and `export` writes.
package enum TraceFileFormat: String, Sendable, CaseIterable {
    /// Auto-detect: a BatchGetTraces response when the file opens with `{"Traces"` or a lone `{` line, else JSON lines.
    case auto
    /// One segment document per line, each optionally preceded by a daemon header line.
    case jsonl
    /// The `BatchGetTraces` response shape, as `aws xray batch-get-traces` prints it.
    case xray
}

/// What an import did, with one message per rejected document.
package struct ImportReport: Sendable {
    package var counts = IngestCounts()
    /// `file:line: reason`, in input order.
    package var problems: [String] = []
    package init() {}

    /// Adds the documents SQLite refused (found by bisecting their batch) to `problems`, by their line.
    mutating func noteRefusals(_ name: String) {
        for refusal in counts.refused { problems.append("\(refusal.source ?? name): \(refusal.reason)") }
        counts.refused = []
    }
}

/// Why an import could not even start or go on.
package enum ImportError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case tooLarge(path: String, size: Int, limit: Int)
    case notBatchGetTraces(path: String, reason: String)
    case read(path: String, reason: String)
    /// The store failed; `stored` documents of this file were committed before it did.
    case store(StoreError, stored: Int)

    package var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .tooLarge(let path, let size, let limit):
            "\(path) is \(size) bytes, over the \(limit)-byte limit for a BatchGetTraces file; split it, or export it as JSON lines"
        case .notBatchGetTraces(let path, let reason):
            "\(path): \(reason); expected JSON lines of segment documents or a BatchGetTraces response ({\"Traces\": [...]})"
        case .read(let path, let reason): "cannot read \(path): \(reason)"
        case .store(let e, let stored):
            "\(e.description); " + Wording.count(stored, "document") + " of this file " + (stored == 1 ? "was" : "were")
                + " stored before that, the rest were not"
        }
    }
}

/// Reads trace files into the store in batches, never reading a line past its limit.
package struct TraceImporter {
    /// The longest line accepted: a 64 KiB document plus its header.
    package static let maxLineBytes = 65_536 + 64
    /// The largest whole-file BatchGetTraces document read into memory.
    package static let maxWholeFileBytes = 256 << 20
    /// Documents per transaction: as the daemon's writer, large enough that shared index pages are rewritten rarely.
    static let batchSize = 4_000

    let store: TraceStore
    let now: @Sendable () -> Double

    package init(store: TraceStore, now: @escaping @Sendable () -> Double) {
        self.store = store
        self.now = now
    }

    /// Imports one file (`-` is standard input).
    ///
    /// A second thread reads and parses while this one writes to SQLite, so both cores work, as in the
    /// daemon; the store never leaves this thread.
    package func importFile(_ path: String, format: TraceFileFormat) throws(ImportError) -> ImportReport {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImportError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { if fd != 0 { close(fd) } }
        let name = path == "-" ? "<stdin>" : path
        let channel = ParsedLines()
        let parsing = DispatchGroup()
        DispatchQueue.global().async(group: parsing) { [now] in
            Self.parseLines(fd: fd, name: name, format: format, now: now, into: channel)
        }
        // Whatever ends the import, the parsing thread is done with the file before it is closed.
        defer {
            channel.cancel()
            parsing.wait()
        }
        var report = ImportReport()
        while true {
            switch channel.receive() {
            case .batch(let documents, let rejects, let problems, let prepared):
                report.problems += problems
                do {
                    report.counts += try store.ingest(documents, rejects: rejects, prepared: prepared)
                } catch {
                    throw ImportError.store(error, stored: report.counts.stored)
                }
            case .wholeFile(let bytes):
                try importBatchGetTraces(bytes, name: name, report: &report)
                return report
            case .failed(let error):
                throw error
            case .end:
                report.noteRefusals(name)
                return report
            }
        }
    }

    /// The parsing thread: reads `fd` line by line and sends batches of at most `batchSize` documents, with
    /// what the writer needs for the traces in them that are new to the store (the writer is the slower of the
    /// two threads), or the whole file once it turns out to be a BatchGetTraces response.
    static func parseLines(fd: Int32, name: String, format: TraceFileFormat, now: () -> Double, into channel: ParsedLines) {
        var reader = LineReader(fd: fd, maxLine: Self.maxLineBytes)
        var pending: [IncomingDocument] = []
        var rejects: [IncomingReject] = []
        var problems: [String] = []
        var lineNumber = 0
        var decided = format == .auto ? nil : format
        var afterHeader = false

        func flush() -> Bool {
            guard !pending.isEmpty || !rejects.isEmpty else { return true }
            defer {
                pending = []
                rejects = []
                problems = []
            }
            return channel.send(.batch(pending, rejects, problems: problems, prepared: TraceStore.prepare(pending)))
        }
        func reject(_ raw: [UInt8], _ reason: String, line: Int) {
            problems.append("\(name):\(line): \(reason)")
            rejects.append(IncomingReject(raw: raw, reason: reason, source: "\(name):\(line)", receivedAt: now()))
        }

        while true {
            let next: LineReader.Line?
            do {
                next = try reader.next()
            } catch {
                _ = flush()
                _ = channel.send(.failed(.read(path: name, reason: error.reason)))
                return
            }
            guard let line = next else { break }
            lineNumber += 1
            if case .tooLong(let length) = line {
                reject([], "line longer than \(Self.maxLineBytes) bytes (\(length)+ bytes); documents are at most 64 KiB", line: lineNumber)
                continue
            }
            guard case .text(var bytes) = line else { continue }
            while let last = bytes.last, last == 0x0D || last == 0x20 || last == 0x09 { bytes.removeLast() }
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            if decided == nil {
                decided = Self.isBatchGetTraces(firstLine: bytes) ? .xray : .jsonl
            }
            if decided == .xray {
                guard flush() else { return }
                do throws(ImportError) {
                    let rest = try reader.readRest(limit: Self.maxWholeFileBytes - bytes.count, path: name)
                    _ = channel.send(.wholeFile(bytes + [0x0A] + rest))
                } catch {
                    _ = channel.send(.failed(error))
                }
                return
            }
            if !afterHeader, Self.isHeaderLine(bytes) {
                afterHeader = true
                continue
            }
            afterHeader = false
            do {
                let doc = try SegmentDocumentParser.parse(bytes: bytes)
                pending.append(IncomingDocument(raw: bytes, document: doc, source: "\(name):\(lineNumber)", receivedAt: now()))
            } catch {
                reject(bytes, error.description, line: lineNumber)
            }
            if pending.count + rejects.count >= Self.batchSize, !flush() { return }
        }
        guard flush() else { return }
        _ = channel.send(.end)
    }

    /// A daemon header line: `{"format":"json","version":1}` in any spelling, and no segment fields.
    static func isHeaderLine(_ bytes: [UInt8]) -> Bool {
        guard bytes.count < 256 else { return false }
        return bytes.withUnsafeBufferPointer { b in (try? DaemonDatagram.validateHeader(b)) != nil }
    }

    /// A BatchGetTraces file is one object: its first line holds a whole object with `"Traces"`, opens
    /// with `{"Traces"`, or is a lone `{` (pretty-printed, as the AWS CLI writes it). Anything else is
    /// JSON lines, even when its first line is not JSON: that line is then rejected on its own and the
    /// others are still read.
    static func isBatchGetTraces(firstLine: [UInt8]) -> Bool {
        if let value = try? JSONParser.parse(firstLine).value, case .object(let o) = value { return o["Traces"] != nil }
        var text = firstLine.drop(while: isSpace)
        guard text.first == UInt8(ascii: "{") else { return false }
        text = text.dropFirst().drop(while: isSpace)
        return text.isEmpty || text.starts(with: Array(#""Traces""#.utf8))
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }

    func importBatchGetTraces(_ bytes: [UInt8], name: String, report: inout ImportReport) throws(ImportError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes).value
        } catch {
            // A pretty-printed document that is not JSON: one reject with all its bytes, as a line would be.
            guard bytes.count <= Self.maxLineBytes else {
                throw ImportError.notBatchGetTraces(path: name, reason: "not JSON at \(error.description)")
            }
            let reason = "not JSON: \(error.description)"
            report.problems.append("\(name):1: \(reason)")
            do {
                report.counts += try store.ingest([], rejects: [IncomingReject(raw: bytes, reason: reason, source: "\(name):1", receivedAt: now())])
            } catch {
                throw ImportError.store(error, stored: report.counts.stored)
            }
            return
        }
        guard case .object(let root) = value, case .array(let traces) = root["Traces"] else {
            throw ImportError.notBatchGetTraces(path: name, reason: "no \"Traces\" array at the top level")
        }
        var pending: [IncomingDocument] = []
        var rejects: [IncomingReject] = []
        for (t, trace) in traces.enumerated() {
            guard case .array(let segments) = trace.objectValue?["Segments"] else {
                let where_ = "\(name): Traces[\(t)]"
                report.problems.append("\(where_): no \"Segments\" array")
                rejects.append(IncomingReject(raw: Array(JSONWriter.string(trace).utf8), reason: "no \"Segments\" array", source: where_, receivedAt: now()))
                continue
            }
            for (s, segment) in segments.enumerated() {
                let where_ = "\(name): Traces[\(t)].Segments[\(s)]"
                guard case .string(let document) = segment.objectValue?["Document"] else {
                    report.problems.append("\(where_): no \"Document\" string")
                    rejects.append(
                        IncomingReject(raw: Array(JSONWriter.string(segment).utf8), reason: "no \"Document\" string", source: where_, receivedAt: now()))
                    continue
                }
                let raw = Array(document.utf8)
                do {
                    let doc = try SegmentDocumentParser.parse(bytes: raw)
                    pending.append(IncomingDocument(raw: raw, document: doc, source: where_, receivedAt: now()))
                } catch {
                    report.problems.append("\(where_): \(error.description)")
                    rejects.append(IncomingReject(raw: raw, reason: error.description, source: where_, receivedAt: now()))
                }
            }
        }
        do {
            report.counts += try store.ingest(pending, rejects: rejects)
            report.noteRefusals(name)
        } catch {
            throw ImportError.store(error, stored: report.counts.stored)
        }
    }
}

/// What the parsing thread of an import hands the writing one, in file order; at most two batches wait,
/// so parsing stays at most two batches ahead of SQLite.
final class ParsedLines: Sendable {
    enum Item: Sendable {
        /// One transaction's worth, with the problem message of each reject in it, and the new traces' rows
        /// computed here (`TraceStore.prepare`), off the writing thread.
        case batch([IncomingDocument], [IncomingReject], problems: [String], prepared: PreparedBatch)
        /// The file is a BatchGetTraces response: all of it, for the writing thread to parse as one.
        case wholeFile([UInt8])
        case failed(ImportError)
        case end
    }

    private let items = Mutex<[Item]>([])
    private let space = DispatchSemaphore(value: 2)
    private let ready = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)

    /// Waits for room, then queues `item`; false once the writing side gave up (the sender should stop).
    func send(_ item: sending Item) -> Bool {
        space.wait()
        guard !cancelled.load(ordering: .acquiring) else {
            space.signal()
            return false
        }
        items.withLock { $0.append(item) }
        ready.signal()
        return true
    }

    /// Waits for the next item.
    func receive() -> Item {
        ready.wait()
        let item = items.withLock { $0.removeFirst() }
        space.signal()
        return item
    }

    /// Stops taking items and wakes a sender waiting for room.
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        space.signal()
    }

    /// libdispatch traps when a semaphore is freed below its initial value, which `space` is when the writing
    /// side gave up with batches still queued (a full disk): no one waits on it any more, so give the slots back.
    deinit {
        space.signal()
        space.signal()
    }
}

/// Reads lines from a file descriptor in fixed chunks; a line over the limit is skipped, not buffered.
struct LineReader {
    enum Line {
        case text([UInt8])
        case tooLong(Int)
    }

    struct ReadError: Error { var reason: String }

    let fd: Int32
    let maxLine: Int
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false

    init(fd: Int32, maxLine: Int) {
        self.fd = fd
        self.maxLine = maxLine
        // Room for a whole line at the limit plus a read, so a full buffer always holds a newline or a too-long line.
        self.buffer = [UInt8](repeating: 0, count: maxLine + (1 << 16))
    }

    /// Moves unread bytes to the front and reads more; false at end of file.
    mutating func fill() throws(ReadError) -> Bool {
        if start > 0 {
            let count = end - start
            buffer.withUnsafeMutableBufferPointer { b in
                guard let base = b.baseAddress else { return }
                memmove(base, base + start, count)
            }
            end = count
            start = 0
        }
        let read = buffer.withUnsafeMutableBytes { b in
            Result { () throws(SystemError) in try FileIO.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: b[end...])) }
        }
        let n: Int
        switch read {
        case .success(let count): n = count
        case .failure(let error): throw ReadError(reason: error.reason)
        }
        if n == 0 {
            eof = true
            return false
        }
        end += n
        return true
    }

    mutating func next() throws(ReadError) -> Line? {
        var discarded = 0
        var scanned = start
        while true {
            if let nl = buffer[scanned..<end].firstIndex(of: 0x0A) {
                let length = discarded + nl - start
                let line: Line = length > maxLine || discarded > 0 ? .tooLong(length) : .text(Array(buffer[start..<nl]))
                start = nl + 1
                return line
            }
            if end - start > maxLine {
                // Forget what we have of this line and keep looking for its end.
                discarded += end - start
                start = end
            }
            let unscanned = end - start
            let more = eof ? false : try fill()
            if !more {
                if start == end && discarded == 0 { return nil }
                let length = discarded + end - start
                let line: Line = length > maxLine || discarded > 0 ? .tooLong(length) : .text(Array(buffer[start..<end]))
                start = end
                return line
            }
            scanned = start + unscanned
        }
    }

    /// The remaining bytes, at most `limit`.
    mutating func readRest(limit: Int, path: String) throws(ImportError) -> [UInt8] {
        var out = Array(buffer[start..<end])
        start = end
        if out.count <= limit {
            do {
                out += try FileIO.readAll(fd, limit: limit - out.count)
            } catch {
                throw ImportError.read(path: path, reason: error.reason)
            }
        }
        if out.count > limit { throw ImportError.tooLarge(path: path, size: out.count, limit: TraceImporter.maxWholeFileBytes) }
        return out
    }
}
