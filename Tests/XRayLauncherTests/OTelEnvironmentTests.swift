import Testing

@testable import XRayLauncher

/// The OpenTelemetry variables `xray run` gives the child.
@Suite struct OTelEnvironmentTests {
    func make(
        _ base: [String: String], address: String = "127.0.0.1:4000", tracingName: String? = nil,
        captureAll: Bool = false
    ) -> RunEnvironment {
        RunEnvironment.make(
            base: base, traceID: "1-5759e988-bd862e3fe1be46a994272793", segmentID: "53995c3f42cd8ad8", daemonAddress: address,
            storePath: "/s.sqlite", tracingName: tracingName, lambda: false, functionName: "job", workingDirectory: "/work",
            captureAll: captureAll)
    }

    @Test func pointsTheOTLPExporterAtTheRunsTCPPortOverHTTPProtobuf() {
        let env = make([:])
        #expect(env.variables["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4000")
        #expect(env.variables["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf")
        #expect(env.variables["OTEL_SERVICE_NAME"] == nil, "set only with --tracing-name")
        #expect(env.leftAlone.isEmpty)
        let split = make([:], address: "tcp:127.0.0.1:5001 udp:127.0.0.1:5000")
        #expect(split.variables["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:5001")
    }

    @Test func theTracingNameBecomesTheServiceNameUnlessTheUserSetOne() {
        #expect(make([:], tracingName: "shop").variables["OTEL_SERVICE_NAME"] == "shop")
        let own = make(["OTEL_SERVICE_NAME": "mine"], tracingName: "shop")
        #expect(own.variables["OTEL_SERVICE_NAME"] == "mine")
        #expect(own.leftAlone == ["OTEL_SERVICE_NAME"])
    }

    @Test func variablesTheUserSetAreLeftAloneAndReported() {
        let env = make([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/v1/traces",
        ])
        #expect(env.variables["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector:4318")
        #expect(env.variables["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc")
        #expect(env.variables["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == "http://jaeger:4318/v1/traces")
        #expect(env.leftAlone == ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
    }

    @Test func captureAllReplacesTheEndpointAndProtocol() {
        let env = make(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"], captureAll: true)
        #expect(env.variables["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4000")
        #expect(env.variables["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf")
        #expect(env.leftAlone.isEmpty)
    }
}
