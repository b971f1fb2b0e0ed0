import Foundation
import Testing
import XRayTestSupport
import XRayWire

@testable import XRayStore

/// SplitMix64: a seeded generator, so a failing case can be replayed from its seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random traces sent as documents in the ways SDKs and the daemon send them: inline subsegments, subsegments
/// streamed on their own (in progress first, then complete), repeated complete copies, missing parents.
struct RandomTraces {
    var rng: SeededRandom
    var nextID: UInt64 = 1
    let base = 1_700_000_000.0

    mutating func id() -> String {
        defer { nextID += 1 }
        return String(format: "%016llx", nextID)
    }

    mutating func flag(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    /// The fields of one entity (without `subsegments`), as JSON members.
    mutating func fields(name: String, id: String, start: Double, end: Double, top: Bool, segment: Bool) -> [String] {
        var out = [#""name":"\#(name)""#, #""id":"\#(id)""#, #""start_time":\#(start)"#, #""end_time":\#(end)"#]
        if flag(0.3) { out.append(#""fault":true"#) }
        if flag(0.3) { out.append(#""error":true"#) }
        if flag(0.1) { out.append(#""throttle":true"#) }
        if !segment, flag(0.4) { out.append(#""namespace":"\#(["aws", "remote", "local"].randomElement(using: &rng)!)""#) }
        if segment, flag(0.5) { out.append(#""origin":"\#(["AWS::EC2::Instance", "AWS::ECS::Container", TraceStore.runOrigin].randomElement(using: &rng)!)""#) }
        if flag(0.3) {
            let n = Int.random(in: 0...2, using: &rng)
            let exceptions = (0..<n).map { i in #"{"id":"e\#(id.suffix(14))\#(i)","type":"E\#(i)","message":"m \"\#(i)\""}"# }
            out.append(#""cause":{"working_directory":"/","exceptions":[\#(exceptions.joined(separator: ","))]}"#)
        }
        if flag(0.5) {
            let agent = flag(0.5) ? #","user_agent":"ua/\#(Int.random(in: 1...3, using: &rng))""# : ""
            out.append(
                #""http":{"request":{"method":"GET","url":"http://h/\#(Int.random(in: 1...3, using: &rng))"\#(agent),"client_ip":"10.0.0.1"},"response":{"status":\#([200, 404, 500].randomElement(using: &rng)!)}}"#
            )
        }
        // Annotations and users mostly on a document's top entity, sometimes on an inline subsegment too: the
        // listing orders them by document arrival, then entity id (the order the ids are made in here).
        if flag(top ? 0.6 : 0.15) {
            var pairs: [String] = []
            if flag(0.7) { pairs.append(#""k\#(Int.random(in: 1...2, using: &rng))":"v\#(Int.random(in: 1...3, using: &rng))""#) }
            if flag(0.5) { pairs.append(#""n":\#(flag(0.1) ? "1e999" : String(Int.random(in: 1...3, using: &rng)))"#) }
            if flag(0.3) { pairs.append(#""b":\#(flag(0.5))"#) }
            out.append(#""annotations":{\#(pairs.joined(separator: ","))}"#)
        }
        if flag(top ? 0.3 : 0.1) { out.append(#""user":"u\#(Int.random(in: 1...3, using: &rng))""#) }
        return out
    }

    /// An entity with inline children, nested up to `depth` levels; returns its JSON and the ids it holds.
    mutating func entity(name: String, start: Double, depth: Int, top: Bool, segment: Bool, ids: inout [String]) -> String {
        let id = id()
        ids.append(id)
        let end = start + Double(Int.random(in: 1...1000, using: &rng)) / 1000
        var members = fields(name: name, id: id, start: start, end: end, top: top, segment: segment)
        if depth > 0 {
            let n = Int.random(in: 0...3, using: &rng)
            let children = (0..<n).map { i in
                entity(
                    name: ["db", "cache", "call", "render"].randomElement(using: &rng)!,
                    start: start + Double(i + 1) / 100 + Double(ids.count) / 1e5, depth: depth - 1, top: false, segment: false, ids: &ids)
            }
            if !children.isEmpty { members.append(#""subsegments":[\#(children.joined(separator: ","))]"#) }
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// Every document of one trace, in a random arrival order, with in-progress versions and repeats.
    mutating func trace(_ index: Int) -> (traceID: String, documents: [String]) {
        let traceID = String(format: "1-65540000-%024x", index)
        var documents: [String] = []
        var ids: [String] = []
        let start = base + Double(index)
        for s in 0..<Int.random(in: 1...3, using: &rng) {
            var json = entity(
                name: ["front", "orders", "pay"].randomElement(using: &rng)!, start: start + Double(s) / 10,
                depth: 2, top: true, segment: true, ids: &ids)
            // A downstream segment names a subsegment sent before it (or an id never sent: a missing parent).
            if s > 0 {
                let parent = flag(0.8) ? ids.randomElement(using: &rng)! : "f00000000000000\(s)"
                json = #"{"parent_id":"\#(parent)","# + json.dropFirst()
            }
            documents.append(#"{"trace_id":"\#(traceID)","# + json.dropFirst())
        }
        // Subsegments sent on their own, in progress first, then complete.
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            let parent = ids.randomElement(using: &rng)!
            let sub = entity(name: "streamed", start: start + 0.5 + Double(ids.count) / 1e5, depth: 1, top: true, segment: false, ids: &ids)
            let head = #"{"trace_id":"\#(traceID)","parent_id":"\#(parent)","type":"subsegment","#
            let complete = head + sub.dropFirst()
            if flag(0.5) {
                let subID = String(sub.split(separator: "\"")[7])
                documents.append(head + #""name":"streamed","id":"\#(subID)","start_time":\#(start + 0.5),"in_progress":true}"#)
            }
            documents.append(complete)
        }
        if flag(0.3), let again = documents.randomElement(using: &rng) { documents.append(again) }
        return (traceID, documents)
    }
}

/// What the details of a trace must be, recomputed from its raw documents alone (parsed and assembled by
/// `TraceAssembler`), independently of the rows the store derives.
enum DetailsOracle {
    static func serviceIDs(_ names: [String]) -> JSONValue {
        .array(names.map { .object(JSONObject([("Name", .string($0)), ("Names", .array([.string($0)]))])) })
    }

    /// The details through the writer, as a listing prints them: an infinite annotation (1e999) is written as null.
    static func written(_ store: TraceStore, traceID: String) throws -> JSONValue {
        try JSONParser.parse(JSONWriter.string(try details(store, traceID: traceID))).value
    }

    static func details(_ store: TraceStore, traceID: String) throws -> JSONValue {
        let stored = try store.documents(traceID: traceID)
        let docs = stored.compactMap { try? SegmentDocumentParser.parse(bytes: $0.raw) }
        let tree = TraceAssembler.assemble(traceID: traceID, documents: docs)
        let entities = tree.entries.map(\.entity)
        let childSegmentParents = Set(entities.filter { $0.kind == .segment }.compactMap(\.parentID))
        func inferred(_ e: Entity) -> Bool {
            e.kind == .subsegment && ["aws", "remote"].contains(e.namespace ?? "") && !childSegmentParents.contains(e.id)
        }
        // The root: a segment without parent, else the earliest segment, else the earliest entity.
        let root = entities.min { a, b in
            (a.kind.rawValue, a.parentID == nil ? 0 : 1, a.startTime) < (b.kind.rawValue, b.parentID == nil ? 0 : 1, b.startTime)
        }
        var http = JSONObject()
        if let r = root {
            if let url = r.httpURL { http["HttpURL"] = .string(url) }
            if let status = r.httpStatus { http["HttpStatus"] = .number(JSONNumber(status)) }
            if let method = r.httpMethod { http["HttpMethod"] = .string(method) }
            if let agent = r.httpUserAgent { http["UserAgent"] = .string(agent) }
            if let ip = r.httpClientIP { http["ClientIp"] = .string(ip) }
        }
        var annotations: [(key: String, values: [(value: JSONValue, services: [String])])] = []
        var users: [(name: String, services: [String])] = []
        let sources = docs.flatMap { doc in doc.entities.flatMap { e in e.annotations.map { (key: $0.key, value: $0.value, service: doc.entities[0].name) } } }
        for source in sources.enumerated().sorted(by: { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }).map(\.element) {
            let value: JSONValue =
                switch source.value {
                case .number(let n): .object(JSONObject([("NumberValue", .number(JSONNumber(n)))]))
                case .bool(let b): .object(JSONObject([("BooleanValue", .bool(b))]))
                case .string(let s): .object(JSONObject([("StringValue", .string(s))]))
                }
            if annotations.last?.key != source.key { annotations.append((source.key, [])) }
            let last = annotations.count - 1
            if let i = annotations[last].values.firstIndex(where: { $0.value == value }) {
                if !annotations[last].values[i].services.contains(source.service) { annotations[last].values[i].services.append(source.service) }
            } else {
                annotations[last].values.append((value, [source.service]))
            }
        }
        for doc in docs {
            for e in doc.entities {
                guard let user = e.user else { continue }
                if let i = users.firstIndex(where: { $0.name == user }) {
                    if !users[i].services.contains(doc.entities[0].name) { users[i].services.append(doc.entities[0].name) }
                } else {
                    users.append((user, [doc.entities[0].name]))
                }
            }
        }
        var services: [(name: String, type: String?)] = []
        for e in entities.sorted(by: { $0.id < $1.id }) where e.kind == .segment || inferred(e) {
            let type = e.origin ?? (e.kind == .segment ? nil : (e.namespace == "aws" ? "AWS::\(e.name)" : "remote"))
            if !services.contains(where: { $0.name == e.name && $0.type == type }) { services.append((e.name, type)) }
        }
        var out = JSONObject([
            ("Http", .object(http)),
            (
                "Annotations",
                .object(
                    JSONObject(
                        annotations.map { entry in
                            (
                                entry.key,
                                .array(entry.values.map { .object(JSONObject([("AnnotationValue", $0.value), ("ServiceIds", serviceIDs($0.services))])) })
                            )
                        }))
            ),
            ("Users", .array(users.map { .object(JSONObject([("UserName", .string($0.name)), ("ServiceIds", serviceIDs($0.services))])) })),
            (
                "ServiceIds",
                .array(
                    services.map { s in
                        var o = JSONObject([("Name", .string(s.name)), ("Names", .array([.string(s.name)]))])
                        if let t = s.type { o["Type"] = .string(t) }
                        return .object(o)
                    })
            ),
        ])
        for (k, v) in rootCauses(tree, inferred: inferred) { out[k] = v }
        return .object(out)
    }

    static func rootCauses(_ trace: TraceTree, inferred: (Entity) -> Bool) -> [(key: String, value: JSONValue)] {
        let entries = trace.entries
        var faults: [Int] = [], errors: [Int] = []
        var slowest: (index: Int, duration: Double)?
        for (i, entry) in entries.enumerated() {
            let e = entry.entity
            if e.fault, faults.count < SummaryRules.maxCauses, !entry.children.contains(where: { entries[$0].entity.fault }) { faults.append(i) }
            if e.error, errors.count < SummaryRules.maxCauses, !entry.children.contains(where: { entries[$0].entity.error }) { errors.append(i) }
            if entry.children.isEmpty, let d = e.duration, d.isFinite, d > (slowest?.duration ?? -1) { slowest = (i, d) }
        }
        let roots = trace.rootIndexes.map { entries[$0].entity }
        let rootDuration = roots.compactMap(\.duration).filter(\.isFinite).max() ?? 0
        func cause(_ index: Int, _ clientImpacting: Bool, _ coverage: Double?) -> JSONValue {
            let last = entries[index].entity
            let isInferred = inferred(last)
            var path = [index], owner = index
            if !isInferred {
                var current = index
                while entries[current].entity.kind != .segment, let p = entries[current].parent {
                    current = p
                    if path.count < SummaryRules.maxPathLength { path.append(p) }
                }
                owner = current
            }
            let entityPath: [JSONValue] = path.reversed().map { i in
                let node = entries[i]
                var entry = JSONObject([("Name", .string(node.entity.name))])
                if i == index {
                    var list: [JSONValue] = []
                    if case .object(let c)? = node.fields["cause"], case .array(let exceptions)? = c["exceptions"] {
                        list = exceptions.compactMap { v in
                            guard case .object(let e) = v else { return nil }
                            var o = JSONObject()
                            if let t = e["type"]?.stringValue { o["Name"] = .string(t) }
                            if let m = e["message"]?.stringValue { o["Message"] = .string(m) }
                            return .object(o)
                        }
                    }
                    entry["Exceptions"] = .array(list)
                    if let coverage { entry["Coverage"] = .number(JSONNumber((coverage * 1000).rounded() / 1000)) }
                }
                entry["Remote"] = .bool(["aws", "remote"].contains(node.entity.namespace ?? ""))
                return .object(entry)
            }
            let o = entries[owner].entity
            var service = JSONObject([("Name", .string(o.name)), ("Names", .array([.string(o.name)]))])
            if let origin = o.origin { service["Type"] = .string(origin) } else if isInferred { service["Type"] = .string("remote") }
            service["EntityPath"] = .array(entityPath)
            service["Inferred"] = .bool(isInferred)
            return .object(JSONObject([("Services", .array([.object(service)])), ("ClientImpacting", .bool(clientImpacting))]))
        }
        var responseTime: [JSONValue] = []
        if let slowest, rootDuration > 0 { responseTime = [cause(slowest.index, true, slowest.duration / rootDuration)] }
        return [
            ("FaultRootCauses", .array(faults.map { cause($0, roots.contains { $0.fault }, nil) })),
            ("ErrorRootCauses", .array(errors.map { cause($0, roots.contains { $0.error }, nil) })),
            ("ResponseTimeRootCauses", .array(responseTime)),
        ]
    }
}

/// What the stats rollups must hold, recomputed from the raw documents of every stored trace.
enum RollupOracle {
    static func rows(_ store: TraceStore, _ grouping: RollupGrouping, key: String, includeRuns: Bool) throws -> [RollupRow] {
        var out: [String: RollupRow] = [:]
        func add(_ name: String, _ annotation: AnnotationValue?, error: Bool, fault: Bool, throttle: Bool, time: Double?) {
            let key = name + "\u{1F}" + (annotation.map { "\($0.typeTag)\u{1F}\($0)" } ?? "")
            var r = out[key] ?? RollupRow(name: name, annotation: annotation)
            r.count += 1
            if !error && !fault && !throttle { r.ok += 1 }
            if error { r.error += 1 }
            if fault { r.fault += 1 }
            if throttle { r.throttle += 1 }
            if let time { r.buckets[DurationSketch.bucket(time), default: 0] += 1 }
            out[key] = r
        }
        for id in try store.allTraceIDs() {
            let docs = try store.documents(traceID: id).compactMap { try? SegmentDocumentParser.parse(bytes: $0.raw) }
            let entities = TraceAssembler.assemble(traceID: id, documents: docs).entries.map(\.entity)
            let bareRun = !entities.contains { $0.origin != TraceStore.runOrigin }
            let childSegmentParents = Set(entities.filter { $0.kind == .segment }.compactMap(\.parentID))
            if grouping == .service {
                for e in entities
                where e.kind == .segment
                    || (["aws", "remote"].contains(e.namespace ?? "") && !childSegmentParents.contains(e.id))
                {
                    guard includeRuns || e.origin != TraceStore.runOrigin else { continue }
                    add(e.name, nil, error: e.error, fault: e.fault, throttle: e.throttle, time: e.duration)
                }
                continue
            }
            guard includeRuns || !bareRun,
                let root = entities.min(by: { a, b in
                    (a.kind.rawValue, a.parentID == nil ? 0 : 1, a.startTime) < (b.kind.rawValue, b.parentID == nil ? 0 : 1, b.startTime)
                })
            else { continue }
            let throttle = entities.contains { $0.throttle }
            func trace(_ name: String, _ annotation: AnnotationValue? = nil) {
                add(name, annotation, error: root.error, fault: root.fault, throttle: throttle, time: root.duration)
            }
            switch grouping {
            case .all: trace("all")
            case .operation: trace("\(root.name) \(root.httpMethod ?? "-") \(root.httpURL ?? "-")")
            case .url: trace(root.httpURL ?? "-")
            case .annotation:
                var seen = Set<String>()
                for e in entities { for a in e.annotations where a.key == key && seen.insert("\(a.value.typeTag)\(a.value)").inserted { trace(key, a.value) } }
            case .service: break
            }
        }
        return Array(out.values)
    }

    static func check(_ store: TraceStore, seed: UInt64) throws {
        for (grouping, key) in RollupGrouping.allCases.map({ ($0, "k1") }) + [(.annotation, "n"), (.annotation, "b")] {
            for includeRuns in [true, false] {
                let got = try #require(try store.statsRollups(grouping, annotationKey: key, includeRuns: includeRuns), "seed \(seed): not covered")
                let expected = try rows(store, grouping, key: key, includeRuns: includeRuns)
                func sorted(_ rows: [RollupRow]) -> [RollupRow] {
                    rows.sorted { ($0.name, "\($0.annotation.map { "\($0)" } ?? "")") < ($1.name, "\($1.annotation.map { "\($0)" } ?? "")") }
                }
                #expect(sorted(got) == sorted(expected), "seed \(seed) \(grouping) includeRuns \(includeRuns)")
            }
        }
    }
}

/// The summary details a store keeps up to date at write time equal what the raw documents say.
@Suite struct SummaryPropertyTests {
    static func parsed(_ details: SummaryDetails) throws -> JSONValue {
        guard case .object(let http) = try JSONParser.parse(details.http).value,
            case .object(let rest) = try JSONParser.parse("{" + details.members + "}").value
        else { return .null }
        return .object(JSONObject([("Http", .object(http))] + rest.members))
    }

    /// Checks every stored trace: the stored details, the ones computed at read time, and the oracle agree.
    static func check(_ store: TraceStore, seed: UInt64) throws {
        for id in try store.allTraceIDs() {
            let stored = try #require(try store.summaryDetails(traceIDs: [id]).first)
            var rootID: String?
            try store.select("SELECT root_id FROM traces WHERE trace_id=?", [.text(id)]) { rootID = $0.text(0) }
            let fresh = try store.computeSummaryDetails(traceID: id, rootID: rootID)
            #expect(stored == fresh, "seed \(seed) trace \(id): stored details are stale")
            let expected = try DetailsOracle.written(store, traceID: id)
            let got = try parsed(stored)
            #expect(got == expected, "seed \(seed) trace \(id):\n\(JSONWriter.string(got))\n!=\n\(JSONWriter.string(expected))")
        }
    }

    /// Each of `tables` as text, row by row (a details row's rowid left out: every write of it makes a new one).
    static func snapshot(_ store: TraceStore, _ table: String) throws -> [String] {
        var columns: [String] = []
        try store.select("SELECT name FROM pragma_table_info(?) WHERE name != 'rowid'", [.text(table)]) { columns.append($0.text(0) ?? "") }
        var rows: [String] = []
        try store.select("SELECT " + columns.map { "quote(\($0))" }.joined(separator: "||','||") + " FROM \(table)", []) { rows.append($0.text(0) ?? "") }
        return rows.sorted()
    }

    /// Every trace's summary row, details and rollup samples, written from the batch in memory for a trace new to
    /// the store, equal what reading its stored rows back computes: recomputing every trace that way changes nothing.
    static func checkAgainstReadBack(_ store: TraceStore, seed: UInt64) throws {
        let tables = ["traces", "trace_details", "stats_rollups", "stats_histograms"]
        let before = try tables.map { try snapshot(store, $0) }
        try store.transaction { () throws(StoreError) in
            var delta = RollupDelta()
            for id in try store.allTraceIDs() { try store.refreshSummary(traceID: id, receivedAt: 0, delta: &delta) }
            try store.applyRollups(delta)
        }
        for (table, (was, now)) in zip(tables, zip(before, try tables.map { try snapshot(store, $0) })) {
            #expect(was == now, "seed \(seed): \(table) differs from a recomputation from the stored rows")
        }
    }

    @Test(arguments: 0..<200)
    func detailsAndRollupsEqualARecomputationFromRawDocumentsAfterRandomWrites(seed: Int) throws {
        var traces = RandomTraces(rng: SeededRandom(seed: UInt64(seed)))
        let store = try TraceStore(path: temporaryStorePath())
        var documents: [String] = []
        for i in 0..<Int.random(in: 1...4, using: &traces.rng) { documents += traces.trace(seed * 10 + i).documents }
        documents.shuffle(using: &traces.rng)
        var pending = documents[...]
        var time = 1.0
        while !pending.isEmpty {
            let n = Int.random(in: 1...max(1, pending.count), using: &traces.rng)
            let batch = try pending.prefix(n).map { try incoming($0, at: time) }
            // Half the batches come with their new traces computed beforehand, as an import sends them.
            _ = try store.ingest(batch, prepared: traces.flag(0.5) ? TraceStore.prepare(batch) : nil)
            pending = pending.dropFirst(n)
            time += 1
            if traces.flag(0.1) { _ = try store.prune(.keepLast(Int.random(in: 1...3, using: &traces.rng)), vacuum: false) }
        }
        try Self.check(store, seed: UInt64(seed))
        try RollupOracle.check(store, seed: UInt64(seed))
        try Self.checkAgainstReadBack(store, seed: UInt64(seed))
    }
}

/// Traces whose details are not stored (too large at write time, or written before the store kept them) are
/// listed with the same details, computed when read.
@Suite struct UnstoredDetailsTests {
    static func storedDetailsCount(_ store: TraceStore) throws -> Int {
        var n = 0
        try store.select("SELECT count(*) FROM trace_details", []) { n = $0.int(0) }
        return n
    }

    @Test func aTraceBeyondTheWriteTimeBoundIsComputedWhenListed() throws {
        let store = try TraceStore(path: temporaryStorePath())
        let children = (0..<SummaryRules.maxEntitiesAtWriteTime).map { i in
            #"{"name":"c","id":"\#(String(format: "%016x", i + 2))","start_time":1.\#(i),"end_time":2,"fault":true,"cause":{"exceptions":[{"type":"T","message":"m"}]}}"#
        }
        let big =
            #"{"trace_id":"\#(traceA)","name":"big","id":"0000000000000001","start_time":1,"end_time":3,"fault":true,"subsegments":[\#(children.joined(separator: ","))]}"#
        _ = try store.ingest([try incoming(big)])
        #expect(try Self.storedDetailsCount(store) == 0)
        let details = try #require(try store.summaryDetails(traceIDs: [traceA]).first)
        #expect(try SummaryPropertyTests.parsed(details) == DetailsOracle.written(store, traceID: traceA))
    }

    @Test func rowsWrittenBeforeTheExceptionsColumnReadTheirExceptionsFromTheDocument() throws {
        let store = try TraceStore(path: temporaryStorePath())
        for seed in 0..<20 {
            var traces = RandomTraces(rng: SeededRandom(seed: UInt64(1000 + seed)))
            _ = try store.ingest(try traces.trace(seed).documents.map { try incoming($0) })
        }
        // As an upgraded store holds them: no details row, no exceptions in the entity rows.
        try store.transaction { () throws(StoreError) in
            try store.execute("DELETE FROM trace_details", [])
            try store.execute("UPDATE entities SET exceptions=NULL", [])
        }
        var withExceptions = 0
        for id in try store.allTraceIDs() {
            let details = try #require(try store.summaryDetails(traceIDs: [id]).first)
            if details.members.contains(#""Exceptions":[{"#) { withExceptions += 1 }
            #expect(try SummaryPropertyTests.parsed(details) == DetailsOracle.written(store, traceID: id), "\(id)")
        }
        #expect(withExceptions > 0, "the case under test occurs")
    }
}

/// Stats rollups answer only while they hold every trace.
@Suite struct RollupCoverageTests {
    @Test func aTraceLeftOutOfTheRollupsSendsStatsToTheScan() throws {
        let store = try TraceStore(path: temporaryStorePath())
        var traces = RandomTraces(rng: SeededRandom(seed: 5))
        _ = try store.ingest(try traces.trace(1).documents.map { try incoming($0) })
        #expect(try store.statsRollups(.service, includeRuns: true) != nil)
        let children = (0..<SummaryRules.maxEntitiesAtWriteTime).map { i in
            #"{"name":"c","id":"\#(String(format: "%016x", 0x1000 + i))","start_time":1,"end_time":2}"#
        }
        _ = try store.ingest([
            try incoming(
                #"{"trace_id":"\#(traceA)","name":"big","id":"0000000000000001","start_time":1,"end_time":3,"subsegments":[\#(children.joined(separator: ","))]}"#
            )
        ])
        #expect(try store.statsRollups(.service, includeRuns: true) == nil, "the large trace is not in the rollups")
        // The large trace starts at epoch 1, the other in 2023: keeping the newest prunes the large one.
        _ = try store.prune(.keepLast(1), vacuum: false)
        #expect(try store.allTraceIDs().count == 1 && !store.allTraceIDs().contains(traceA))
        #expect(try store.statsRollups(.service, includeRuns: true) != nil, "the large trace is gone")
    }

    @Test func anUpgradedStoreIsScannedUntilEveryTraceIsWrittenAgain() throws {
        let store = try TraceStore(path: temporaryStorePath())
        var traces = RandomTraces(rng: SeededRandom(seed: 6))
        _ = try store.ingest(try traces.trace(1).documents.map { try incoming($0) })
        try store.transaction { () throws(StoreError) in
            // As the v4 migration leaves a store written before it: no details, no rollups.
            try store.execute("DELETE FROM trace_details", [])
            try store.execute("DELETE FROM stats_rollups", [])
            try store.execute("DELETE FROM stats_histograms", [])
        }
        #expect(try store.statsRollups(.all, includeRuns: true) == nil)
    }
}
