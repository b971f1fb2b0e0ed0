/// One line of a trace listing: the per-trace summary kept at write time.
public struct TraceSummary: Sendable, Hashable {
    public var traceID: String
    public var startTime: Double
    public var endTime: Double
    public var duration: Double
    /// The root segment's end minus start; nil while it is in progress.
    public var responseTime: Double?
    public var rootName: String?
    public var rootOrigin: String?
    public var httpMethod: String?
    public var httpURL: String?
    public var httpStatus: Int?
    public var hasError: Bool
    public var hasFault: Bool
    public var hasThrottle: Bool
    public var isPartial: Bool
    public var entityCount: Int
    public var inProgressCount: Int

    public init(
        traceID: String, startTime: Double, endTime: Double, duration: Double, responseTime: Double?,
        rootName: String?, rootOrigin: String?, httpMethod: String?, httpURL: String?, httpStatus: Int?,
        hasError: Bool, hasFault: Bool, hasThrottle: Bool, isPartial: Bool, entityCount: Int, inProgressCount: Int
    ) {
        self.traceID = traceID
        self.startTime = startTime
        self.endTime = endTime
        self.duration = duration
        self.responseTime = responseTime
        self.rootName = rootName
        self.rootOrigin = rootOrigin
        self.httpMethod = httpMethod
        self.httpURL = httpURL
        self.httpStatus = httpStatus
        self.hasError = hasError
        self.hasFault = hasFault
        self.hasThrottle = hasThrottle
        self.isPartial = isPartial
        self.entityCount = entityCount
        self.inProgressCount = inProgressCount
    }
}

/// Input kept aside because it could not be stored as a document.
public struct RejectRecord: Sendable {
    public var id: Int
    public var receivedAt: Double
    public var source: String?
    public var reason: String
    public var raw: [UInt8]

    public init(id: Int, receivedAt: Double, source: String?, reason: String, raw: [UInt8]) {
        self.id = id
        self.receivedAt = receivedAt
        self.source = source
        self.reason = reason
        self.raw = raw
    }
}
