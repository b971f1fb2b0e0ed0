import CXRaySystem
import XRayOTel

#if canImport(Glibc)
import Glibc
#endif

/// The decoder thread: turns the reader's datagrams into parsed documents and rejects for the writer, and
/// forwards accepted datagrams.
///
/// Decoding runs on its own thread so the SQLite writer does nothing but write: on two cores the two
/// halves then run side by side instead of one after the other.
struct DatagramDecoder: Sendable {
    /// Documents parsed before they are handed on: small beside the writer's transactions, so the writer
    /// never waits long for a decoder working through a deep queue.
    static let flushDocuments = 1000

    let input: IntakeQueue
    let output: DocumentQueue
    let counters: LiveCounters
    let forwardFD: Int32?
    /// Turns the spans of ADOT's `T1S`/`T1U` datagrams into documents.
    let translator: SegmentTranslator

    func run() {
        var pending = ParsedBatch()
        func flush() {
            guard !pending.isEmpty else { return }
            output.push(pending, weight: pending.count, bytes: pending.bytes)
            pending = ParsedBatch()
        }
        while true {
            let (items, finished) = input.takeAll()
            for item in items {
                switch item {
                case .datagrams(let datagrams):
                    for datagram in datagrams {
                        let before = pending.documents.count
                        let countBefore = pending.count
                        switch Intake.classify(datagram, translator: translator, into: &pending) {
                        case .documents: break
                        case .spans(let received, let rejected):
                            counters.otlpSpansReceived.add(received, ordering: .relaxed)
                            counters.otlpSpansStored.add(received - rejected, ordering: .relaxed)
                            counters.otlpSpansRejected.add(rejected, ordering: .relaxed)
                        case .metrics:
                            counters.otlpMetricsDatagrams.add(1, ordering: .relaxed)
                        }
                        counters.documents.add(pending.count - countBefore, ordering: .relaxed)
                        if let forwardFD, pending.documents.count > before { forward(datagram.bytes, fd: forwardFD) }
                        if pending.count >= Self.flushDocuments { flush() }
                    }
                case .parsed(let batch):
                    // Keep arrival order: what was decoded before this request is stored before it.
                    flush()
                    counters.documents.add(batch.count, ordering: .relaxed)
                    output.push(batch, weight: batch.count, bytes: batch.bytes)
                }
            }
            flush()
            if finished {
                output.close()
                return
            }
        }
    }

    func forward(_ bytes: [UInt8], fd: Int32) {
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, XR_MSG_DONTWAIT) }
        if sent == bytes.count {
            counters.forwarded.add(1, ordering: .relaxed)
        } else {
            counters.forwardFailures.add(1, ordering: .relaxed)
        }
    }
}
