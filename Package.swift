// swift-tools-version: 6.0
import PackageDescription

/// One settings array for every Swift target: Swift 6 mode with strict concurrency.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "xray",
    products: [
        .executable(name: "xray", targets: ["xray"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // The system SQLite through its C API: as fast as C (see README, "Why these dependencies").
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // System calls Swift cannot see or call: recvmmsg (needs _GNU_SOURCE), fcntl (variadic), eventfd.
        .target(name: "CXRaySystem", path: "Sources/CXRaySystem"),
        // Threads, clocks, EINTR-safe I/O, and the only Linux-only calls (epoll, recvmmsg, /proc) behind
        // interfaces with POSIX fallbacks. Knows nothing of X-Ray.
        .target(name: "XRaySystem", dependencies: ["CXRaySystem"], swiftSettings: swiftSettings),
        // fork/execve with PR_SET_PDEATHSIG and signal waiting for `xray run`: what posix_spawn cannot do.
        .target(name: "CXRayProcess", path: "Sources/CXRayProcess"),
        // Wire model: JSON, segment documents, ids, datagram framing, trace assembly. No I/O.
        .target(name: "XRayWire", swiftSettings: swiftSettings),
        // The system zlib, for OTLP/HTTP bodies sent with Content-Encoding gzip or deflate.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // OpenTelemetry intake core: OTLP decoding (protobuf, JSON, T1S datagrams) and AWS's span-to-segment rules.
        .target(name: "XRayOTel", dependencies: ["XRayWire", "CZlib"], swiftSettings: swiftSettings),
        // The SQLite trace store.
        .target(name: "XRayStore", dependencies: ["XRayWire", "XRaySystem", "CSQLite"], swiftSettings: swiftSettings),
        // X-Ray filter expressions compiled to parameterized SQL, stats and the service graph.
        .target(name: "XRayQuery", dependencies: ["XRayWire", "XRayStore", "XRayRender", "XRayOTel"], swiftSettings: swiftSettings),
        // Rendering of assembled traces and listings (tree, json, xray, tables). Knows no SQL.
        .target(name: "XRayRender", dependencies: ["XRayWire"], swiftSettings: swiftSettings),
        // `inspect insights` and `inspect diff`: N+1s, slow spans, gaps and run-to-run comparison over assembled traces.
        .target(name: "XRayInsights", dependencies: ["XRayWire", "XRayStore", "XRayQuery", "XRayRender"], swiftSettings: swiftSettings),
        // Sampling rules: formats, validation, matching, reservoirs, simulation, lint.
        .target(name: "XRaySampling", dependencies: ["XRayWire", "XRaySystem"], swiftSettings: swiftSettings),
        // UDP and TCP intake shared by `xray daemon` and `xray run`.
        .target(
            name: "XRayCollector",
            dependencies: ["XRayWire", "XRaySystem", "XRayStore", "XRaySampling", "XRayOTel", "CXRaySystem"],
            swiftSettings: swiftSettings
        ),
        // BatchGetTraces, GetTraceSummaries, GetServiceGraph: served by the collector through its operations seam.
        .target(
            name: "XRayReadAPI",
            dependencies: ["XRayWire", "XRayStore", "XRayCollector", "XRayQuery", "XRayRender"],
            swiftSettings: swiftSettings
        ),
        // `xray ui` and the daemon's console: the page, script and style in the binary, and the endpoints they add.
        .target(
            name: "XRayConsole",
            dependencies: ["XRayWire", "XRayStore", "XRayCollector", "XRayQuery", "XRayRender"],
            swiftSettings: swiftSettings
        ),
        // `xray run`: starts a command under an embedded collector and records the run's own segment.
        .target(
            name: "XRayLauncher",
            dependencies: ["XRayWire", "XRaySystem", "XRayStore", "XRayCollector", "XRaySampling", "CXRayProcess"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "xray",
            dependencies: [
                "XRayWire", "XRaySystem", "XRayStore", "XRayRender", "XRaySampling", "XRayCollector", "XRayQuery", "XRayLauncher",
                "XRayReadAPI", "XRayInsights", "XRayOTel", "XRayConsole", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers every test target shares: temporary stores, the built binary, loopback HTTP and UDP clients.
        .target(name: "XRayTestSupport", dependencies: ["XRayWire"], path: "Tests/XRayTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "XRayWireTests", dependencies: ["XRayWire"], swiftSettings: swiftSettings),
        .testTarget(name: "XRaySystemTests", dependencies: ["XRaySystem"], swiftSettings: swiftSettings),
        .testTarget(name: "XRayRenderTests", dependencies: ["XRayRender", "XRayWire"], swiftSettings: swiftSettings),
        .testTarget(name: "XRayStoreTests", dependencies: ["XRayStore", "XRayWire", "XRayRender", "CSQLite", "XRayTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "XRayLauncherTests", dependencies: ["XRayLauncher", "XRayCollector", "XRayWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "XRayQueryTests", dependencies: ["XRayQuery", "XRayStore", "XRayRender", "XRayWire", "XRayTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "XRayCollectorTests",
            dependencies: [
                "XRayCollector", "XRayReadAPI", "XRayConsole", "XRayStore", "XRayWire", "XRaySampling", "XRaySystem", "XRayOTel", "XRayTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XRayReadAPITests", dependencies: ["XRayReadAPI", "XRayCollector", "XRayQuery", "XRayStore", "XRayWire", "XRayTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "XRayOTelTests", dependencies: ["XRayOTel", "XRayWire", "XRayTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "XRayInsightsTests", dependencies: ["XRayInsights", "XRayStore", "XRayWire"], swiftSettings: swiftSettings),
        .testTarget(name: "XRaySamplingTests", dependencies: ["XRaySampling", "XRayWire", "XRayTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "XRayEndToEndTests",
            dependencies: ["XRayWire", "XRayTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
