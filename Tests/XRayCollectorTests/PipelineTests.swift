import Foundation
import Testing
import XRayStore
import XRaySystem
import XRayTestSupport

@testable import XRayCollector

/// The intake pipeline's bounds and its WAL checkpointer, with real threads, sockets and SQLite files.
@Suite struct PipelineTests {
    /// A queue full by bytes makes its producer wait even with room left in items: two 600-byte items never
    /// sit together in a 1,000-byte queue, and an item heavier than the bound still goes into an empty queue.
    @Test func byteBoundHoldsTheProducerBack() throws {
        let queue = BoundedQueue<Int>(capacity: 100, byteCapacity: 1000, counters: nil)
        let producer = try NativeThread.start("test-producer") {
            for (item, bytes) in [(1, 600), (2, 600), (3, 2000), (4, 10)] { queue.push(item, weight: 1, bytes: bytes) }
            queue.close()
        }
        // Time for an unbounded queue to take every item at once, which is what this test would then see.
        usleep(100_000)
        var batches: [[Int]] = []
        while true {
            let (items, finished) = queue.takeAll()
            if !items.isEmpty { batches.append(items) }
            if finished { break }
        }
        producer.join()
        #expect(batches.first == [1])
        #expect(batches.flatMap { $0 } == [1, 2, 3, 4])
        // 600 + 2,000 and 2,000 + 10 exceed the bound too: only the last two may never meet.
        #expect(batches.contains([2]) && batches.contains([3]))
    }

    /// A reader queue far smaller than what arrives loses nothing: the reader waits, the socket buffer holds
    /// the rest, and every datagram is stored.
    @Test func smallByteBoundLosesNothing() throws {
        try TestCollector.with({ $0.queueBytes = 4096 }) { c in
            let datagrams = (0..<2000).map { Array(Fixture.datagram(Fixture.segment(trace: 1000 + $0, id: 1)).utf8) }
            c.send(datagrams)
            let counters = c.collector.stop()
            #expect(counters.datagrams == 2000)
            #expect(counters.stored == 2000)
            #expect((counters.kernelDrops ?? 0) == 0)
            #expect(counters.queueHighWater <= 4096 / datagrams[0].count + 64)
            let traces = try c.store().counts().traces
            #expect(traces == 2000)
        }
    }

    /// With the checkpointer thread the WAL starts over near its bound while the writer keeps committing:
    /// it never grows to the writer's own automatic checkpoint (four times the bound), and the store holds
    /// every document.
    @Test func checkpointerKeepsTheWALShort() throws {
        let resetFrames = 64
        try TestCollector.with({ $0.walResetFrames = resetFrames }) { c in
            let walPath = c.storePath + "-wal"
            var largestWAL = 0
            for burst in 0..<40 {
                let datagrams = (0..<50).map {
                    Array(Fixture.datagram(Fixture.segment(trace: 5000 + burst * 50 + $0, id: 1)).utf8)
                }
                c.send(datagrams)
                // One transaction per burst: wait until the writer has committed it.
                while c.collector.counters.stored < (burst + 1) * 50 { usleep(1000) }
                largestWAL = max(largestWAL, Self.fileSize(walPath))
            }
            let counters = c.collector.stop()
            #expect(counters.stored == 2000)
            // A WAL frame is a 24-byte header and a page, 4,096 bytes by SQLite's default (sqlite.org/fileformat.html).
            #expect(largestWAL > 0)
            #expect(largestWAL < 4 * resetFrames * (4096 + 24))
            let traces = try c.store().counts().traces
            #expect(traces == 2000)
        }
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
