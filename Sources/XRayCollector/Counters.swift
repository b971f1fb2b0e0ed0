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
    /// OTLP spans that arrived (OTLP/HTTP and ADOT `T1S`/`T1U` datagrams), those stored (committed for
    /// OTLP/HTTP; handed to the writer for datagrams, which nothing acknowledges), and those refused (a bad
    /// id, a translation the document rules refuse, a store refusal). Their documents are in the counts above.
    public var otlpSpansReceived = 0
    public var otlpSpansStored = 0
    public var otlpSpansRejected = 0
    /// `/v1/metrics` and `/v1/logs` requests and ADOT `M1` datagrams: answered and discarded, as X-Ray keeps no metrics or logs.
    public var otlpMetricsRequests = 0
    public var otlpLogsRequests = 0
    public var otlpMetricsDatagrams = 0
    /// `--forward-otlp`: spans the backend accepted and the batches that carried them, tries repeated after a
    /// retryable answer or a connection error, spans dropped from the full queue, spans given up on (a 4xx
    /// answer, or retries exhausted), and the last error. Local storage never waits on any of these.
    public var forwardedSpans = 0
    public var forwardBatches = 0
    public var forwardRetries = 0
    public var forwardDropped = 0
    public var forwardFailedSpans = 0
    public var lastForwardError: String?
    /// Whether `--forward-otlp` is on: its counters are shown only then.
    public var forwardsOTLP = false

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
            ("otlp_spans_received", .number(JSONNumber(otlpSpansReceived))),
            ("otlp_spans_stored", .number(JSONNumber(otlpSpansStored))),
            ("otlp_spans_rejected", .number(JSONNumber(otlpSpansRejected))),
            ("otlp_metrics_requests", .number(JSONNumber(otlpMetricsRequests))),
            ("otlp_logs_requests", .number(JSONNumber(otlpLogsRequests))),
            ("otlp_metrics_datagrams", .number(JSONNumber(otlpMetricsDatagrams))),
        ]
        if forwardsOTLP {
            members += [
                ("otlp_forwarded_spans", .number(JSONNumber(forwardedSpans))),
                ("otlp_forward_batches", .number(JSONNumber(forwardBatches))),
                ("otlp_forward_retries", .number(JSONNumber(forwardRetries))),
                ("otlp_forward_dropped", .number(JSONNumber(forwardDropped))),
                ("otlp_forward_failed", .number(JSONNumber(forwardFailedSpans))),
            ]
            if let lastForwardError { members.append(("otlp_forward_last_error", .string(lastForwardError))) }
        }
        if let lastStoreError { members.append(("last_store_error", .string(lastStoreError))) }
        if let storeFileProblem { members.append(("store_file_problem", .string(storeFileProblem))) }
        return .object(JSONObject(members))
    }

    /// The counters as a few lines for people.
    public var text: String {
        var lines = [
            "datagrams \(datagrams), documents \(documents): stored \(stored), duplicates \(duplicates), rejected \(rejected)"
        ]
        for (reason, count) in rejectedByReason.sorted(by: { $0.key < $1.key }) {
            lines.append("  rejected \(count): \(reason)")
        }
        lines.append(
            "queue high-water \(queueHighWater), kernel drops \(kernelDrops.map(String.init) ?? "unknown"), "
                + "receive buffer \(receiveBufferBytes / 1024) KiB")
        if forwarded + forwardFailures > 0 { lines.append("forwarded \(forwarded), forward failures \(forwardFailures)") }
        if httpRequests + httpRefused > 0 { lines.append("http requests \(httpRequests), refused connections \(httpRefused)") }
        if otlpSpansReceived > 0 {
            lines.append("otlp spans \(otlpSpansReceived): stored \(otlpSpansStored), rejected \(otlpSpansRejected)")
        }
        if otlpMetricsRequests + otlpLogsRequests + otlpMetricsDatagrams > 0 {
            lines.append(
                "otlp discarded: metrics requests \(otlpMetricsRequests), logs requests \(otlpLogsRequests), "
                    + "metrics datagrams \(otlpMetricsDatagrams)")
        }
        if forwardsOTLP {
            lines.append(
                "otlp forward: spans \(forwardedSpans) in \(Wording.count(forwardBatches, "batch", "batches")), "
                    + "retries \(forwardRetries), dropped \(forwardDropped), failed \(forwardFailedSpans)"
                    + (forwardDropped + forwardFailedSpans > 0 ? lastForwardError.map { ": \($0)" } ?? "" : ""))
        }
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
    let otlpSpansReceived = Atomic<Int>(0)
    let otlpSpansStored = Atomic<Int>(0)
    let otlpSpansRejected = Atomic<Int>(0)
    let otlpMetricsRequests = Atomic<Int>(0)
    let otlpLogsRequests = Atomic<Int>(0)
    let otlpMetricsDatagrams = Atomic<Int>(0)
    let forwardedSpans = Atomic<Int>(0)
    let forwardBatches = Atomic<Int>(0)
    let forwardRetries = Atomic<Int>(0)
    let forwardDropped = Atomic<Int>(0)
    let forwardFailedSpans = Atomic<Int>(0)
    let lastForwardError = Mutex<String?>(nil)
    let forwardsOTLP = Atomic<Bool>(false)
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
        c.otlpSpansReceived = otlpSpansReceived.load(ordering: .relaxed)
        c.otlpSpansStored = otlpSpansStored.load(ordering: .relaxed)
        c.otlpSpansRejected = otlpSpansRejected.load(ordering: .relaxed)
        c.otlpMetricsRequests = otlpMetricsRequests.load(ordering: .relaxed)
        c.otlpLogsRequests = otlpLogsRequests.load(ordering: .relaxed)
        c.otlpMetricsDatagrams = otlpMetricsDatagrams.load(ordering: .relaxed)
        c.forwardedSpans = forwardedSpans.load(ordering: .relaxed)
        c.forwardBatches = forwardBatches.load(ordering: .relaxed)
        c.forwardRetries = forwardRetries.load(ordering: .relaxed)
        c.forwardDropped = forwardDropped.load(ordering: .relaxed)
        c.forwardFailedSpans = forwardFailedSpans.load(ordering: .relaxed)
        c.lastForwardError = lastForwardError.withLock { $0 }
        c.forwardsOTLP = forwardsOTLP.load(ordering: .relaxed)
        return c
    }
}
