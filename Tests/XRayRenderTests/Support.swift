import XRayWire

let traceA = "1-581cf771-a006649127e371903a2de979"

/// The trace the store would read back for these documents: parsed and linked by `TraceAssembler`.
func assembled(_ documents: String..., traceID: String = traceA) throws -> TraceTree {
    TraceAssembler.assemble(traceID: traceID, documents: try documents.map { try SegmentDocumentParser.parse($0) })
}
