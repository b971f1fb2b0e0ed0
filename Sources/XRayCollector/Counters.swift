import Synchronization
import XRayWire

/// What the collector did with its input, as printed at shutdown and by `xray daemon --json`.
///
/// Every document ends in exactly one of `stored`, `duplicates`, `rejected` or `storeFailures` (lost),
/// so once the collector has stopped, `documents == stored + duplicates + rejected + storeFailures`. A datagram is one document, except that a
/// datagram whose body is an array of N subsegments is N documents.
public struct CollectorCounters: Sendable, Hashable {
    /// UDP datagrams read from the socket.
    public var datagrams = 0
    /// Documents found in datagrams and `PutTraceSegments` requests (a rejected datagram counts as one).
    public var documents = 0
    /// New documents, and complete documents that replaced an in-progress copy.
    public var stored = 0
    /// Documents already stored in that state (a resend, or an in-progress copy arriving after the complete one).
    public var duplicates = 0
    /// Rejected documents by reason: the field at fault (`trace_id`, `header.version`), or the kind of problem.
    public var rejectedByReason: [String: Int] = [:]
    /// The most datagrams that waited between the reader and the writer at one time.
    public var queueHighWater = 0
    /// Datagrams the kernel dropped because the receive buffer was full (`SO_RXQ_OVFL`), or nil when unknown.
    public var kernelDrops: Int?
    /// Documents lost because the store could not take them: dropped from the full retry backlog, or
    /// still in it at shutdown (the reason is in `lastStoreError`).
    public var storeFailures = 0
    public var lastStoreError: String?
    /// Store transactions that failed (each is retried; only `storeFailures` are lost).
    public var storeErrors = 0
    /// Documents waiting to be written again after a failed transaction.
    public var storeBacklog = 0
    /// Set when the store's files were deleted or replaced under the collector.
    public var storeFileProblem: String?

    /// Something was lost, or may have been: what makes `xray daemon` exit 74.
    public var lostData: Bool { storeFailures > 0 || storeFileProblem != nil }
    /// Datagrams sent to `--forward`, and sends that failed.
    public var forwarded = 0
    public var forwardFailures = 0
    /// HTTP requests served, and connections refused because too many were open.
    public var httpRequests = 0
    public var httpRefused = 0
    /// The receive buffer the kernel granted, in bytes.
    public var receiveBufferBytes = 0

    public init() {}

    public var rejected: Int { rejectedByReason.values.reduce(0, +) }

    /// The counters as one JSON object (the `counters` event of `--json`).
    public var jsonValue: JSONValue {
        let reasons = rejectedByReason.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.number(JSONNumber($0.value))) }
        var members: [(key: String, value: JSONValue)] = [
            ("datagrams", .number(JSONNumber(datagrams))), ("documents", .number(JSONNumber(documents))),
            ("stored", .number(JSONNumber(stored))), ("duplicates", .number(JSONNumber(duplicates))),
            ("rejected", .number(JSONNumber(rejected))), ("rejected_by_reason", .object(JSONObject(reasons))),
            ("queue_high_water", .number(JSONNumber(queueHighWater))),
            ("kernel_drops", kernelDrops.map { .number(JSONNumber($0)) } ?? .null),
            ("store_failures", .number(JSONNumber(storeFailures))),
            ("store_errors", .number(JSONNumber(storeErrors))), ("store_backlog", .number(JSONNumber(storeBacklog))),
            ("forwarded", .number(JSONNumber(forwarded))), ("forward_failures", .number(JSONNumber(forwardFailures))),
            ("http_requests", .number(JSONNumber(httpRequests))), ("http_refused", .number(JSONNumber(httpRefused))),
            ("receive_buffer_bytes", .number(JSONNumber(receiveBufferBytes))),
        ]
        if let lastStoreError { members.append(("last_store_error", .string(lastStoreError))) }
        if let storeFileProblem { members.append(("store_file_problem", .string(storeFileProblem))) }
        return .object(JSONObject(members))
    }

    /// The counters as a few lines for people.
    public var text: String {
        var lines = [
            "datagrams \(datagrams), documents \(documents): stored \(stored), duplicates \(duplicates), rejected \(rejected)",
        ]
        for (reason, count) in rejectedByReason.sorted(by: { $0.key < $1.key }) {
            lines.append("  rejected \(count): \(reason)")
        }
        lines.append("queue high-water \(queueHighWater), kernel drops \(kernelDrops.map(String.init) ?? "unknown"), "
            + "receive buffer \(receiveBufferBytes / 1024) KiB")
        if forwarded + forwardFailures > 0 { lines.append("forwarded \(forwarded), forward failures \(forwardFailures)") }
        if httpRequests + httpRefused > 0 { lines.append("http requests \(httpRequests), refused connections \(httpRefused)") }
        if storeErrors > 0 { lines.append("store errors \(storeErrors) (failed transactions, retried): \(lastStoreError ?? "")") }
        if storeFailures > 0 { lines.append("LOST \(storeFailures) documents to store errors: \(lastStoreError ?? "")") }
        if let storeFileProblem { lines.append("STORE FILES: \(storeFileProblem)") }
        return lines.joined(separator: "\n")
    }
}

/// The live counters, updated by the reader, the writer and the HTTP threads.
final class LiveCounters: Sendable {
    let datagrams = Atomic<Int>(0)
    let documents = Atomic<Int>(0)
    let stored = Atomic<Int>(0)
    let duplicates = Atomic<Int>(0)
    let queueHighWater = Atomic<Int>(0)
    /// -1 until the kernel reports a value.
    let kernelDrops = Atomic<Int>(-1)
    let storeFailures = Atomic<Int>(0)
    let storeErrors = Atomic<Int>(0)
    let storeBacklog = Atomic<Int>(0)
    let storeFileProblem = Mutex<String?>(nil)
    let forwarded = Atomic<Int>(0)
    let forwardFailures = Atomic<Int>(0)
    let httpRequests = Atomic<Int>(0)
    let httpRefused = Atomic<Int>(0)
    let receiveBufferBytes = Atomic<Int>(0)
    let rejectedByReason = Mutex<[String: Int]>([:])
    let lastStoreError = Mutex<String?>(nil)

    var snapshot: CollectorCounters {
        var c = CollectorCounters()
        c.datagrams = datagrams.load(ordering: .relaxed)
        c.documents = documents.load(ordering: .relaxed)
        c.stored = stored.load(ordering: .relaxed)
        c.duplicates = duplicates.load(ordering: .relaxed)
        c.rejectedByReason = rejectedByReason.withLock { $0 }
        c.queueHighWater = queueHighWater.load(ordering: .relaxed)
        let drops = kernelDrops.load(ordering: .relaxed)
        c.kernelDrops = drops >= 0 ? drops : nil
        c.storeFailures = storeFailures.load(ordering: .relaxed)
        c.lastStoreError = lastStoreError.withLock { $0 }
        c.storeErrors = storeErrors.load(ordering: .relaxed)
        c.storeBacklog = storeBacklog.load(ordering: .relaxed)
        c.storeFileProblem = storeFileProblem.withLock { $0 }
        c.forwarded = forwarded.load(ordering: .relaxed)
        c.forwardFailures = forwardFailures.load(ordering: .relaxed)
        c.httpRequests = httpRequests.load(ordering: .relaxed)
        c.httpRefused = httpRefused.load(ordering: .relaxed)
        c.receiveBufferBytes = receiveBufferBytes.load(ordering: .relaxed)
        return c
    }
}
