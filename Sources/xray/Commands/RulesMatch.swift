import ArgumentParser
import XRaySampling
import XRayWire

extension XRay.Rules {
    struct Match: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "match",
            abstract: "Show which rule applies to a request, and why.",
            discussion: """
                Rules are evaluated as the chosen SDK does (local: file order, then default; centralized: by \
                priority then name). Each earlier rule is listed with the first attribute that did not match, \
                and SDKs that would decide otherwise are named. With --requests FILE.jsonl, one decision per \
                line is written as JSON (index, default, rule, fixed_target, rate, and fallback when no \
                centralized rule matched). --benchmark N times N in-process decisions over those requests.
                """
        )

        @Argument(help: "The rules file.")
        var file: String

        @Option(help: "The request's Host header, port included.")
        var host: String?

        @Option(help: "The request's HTTP method.")
        var method: String?

        @Option(help: "The request's URL path, without the query.")
        var path: String?

        @Option(help: "The segment name (centralized rules only).")
        var serviceName: String?

        @Option(help: "The origin, such as AWS::EC2::Instance (centralized rules only).")
        var serviceType: String?

        @Option(help: "Match as this SDK does: python, go, java or node.")
        var sdk: SDK = .python

        @Option(help: "A JSON Lines file of requests ({\"host\",\"method\",\"path\",\"service_name\",\"service_type\"}); - for stdin.")
        var requests: String?

        @Option(help: "Output: text or json for one request; jsonl (the default with --requests) for batches.")
        var format: MatchFormat?

        @Option(help: "Also print the segment name that DYNAMIC_NAMING with this pattern gives the host.")
        var dynamicNaming: String?

        @Option(help: "The segment name used when the host does not match --dynamic-naming.")
        var fallback: String?

        @Option(help: "Time N decisions (at most 100000000) over the --requests in process and print decisions per second.")
        var benchmark: Int?

        @Option(help: "Read the rules file as local or centralized instead of detecting it.")
        var rulesFormat: RuleFileFormat?

        enum MatchFormat: String, ExpressibleByArgument { case text, json, jsonl }

        func validate() throws {
            if requests != nil, let format, format != .jsonl {
                throw ValidationError("--requests writes JSON lines; use --format jsonl or leave --format out")
            }
            if requests != nil, host != nil || method != nil || path != nil || serviceName != nil || serviceType != nil {
                throw ValidationError("give either --requests or --host/--method/--path/--service-name/--service-type")
            }
            if benchmark != nil, requests == nil {
                throw ValidationError("--benchmark needs --requests FILE.jsonl to take requests from")
            }
            if let benchmark, !(1...MatchBenchmark.maximumDecisions).contains(benchmark) {
                throw ValidationError("--benchmark must be from 1 to \(MatchBenchmark.maximumDecisions), not \(benchmark)")
            }
            if (dynamicNaming == nil) != (fallback == nil) {
                throw ValidationError("--dynamic-naming and --fallback go together: the pattern and the name used when it does not match")
            }
        }

        func run() throws {
            let document = try InputFile.loadRules(file, format: rulesFormat)
            let matcher = RuleMatcher(document: document, sdk: sdk)
            let naming = dynamicNaming.flatMap { pattern in fallback.map { DynamicNaming(pattern: pattern, fallback: $0) } }
            if let requests {
                let bytes = try InputFile.bytes(at: requests)
                if let benchmark {
                    let all = try RequestReader.readAll(bytes, file: requests).map(\.request)
                    print(MatchBenchmark.run(matcher: matcher, requests: all, decisions: benchmark).text)
                } else {
                    try writeBatch(matcher: matcher, bytes: bytes, file: requests, naming: naming)
                }
                return
            }
            let request = SamplingRequest(
                host: host, method: method, path: path, serviceName: serviceName, serviceType: serviceType)
            let explanation = matcher.explain(request)
            switch format ?? .text {
            case .text:
                print(explanation.text, terminator: "")
                if let naming { print("segment name: \(naming.segmentName(host: host))") }
            case .json:
                var value = explanation.jsonValue
                if let naming, case .object(var object) = value {
                    object["segment_name"] = .string(naming.segmentName(host: host))
                    value = .object(object)
                }
                print(JSONWriter.prettyString(value))
            case .jsonl:
                var value = document.decisionJSON(explanation.target)
                if let naming, case .object(var object) = value {
                    object["segment_name"] = .string(naming.segmentName(host: host))
                    value = .object(object)
                }
                print(JSONWriter.string(value))
            }
        }

        private func writeBatch(matcher: RuleMatcher, bytes: [UInt8], file: String, naming: DynamicNaming?)
            throws(SamplingError)
        {
            let lines = DecisionLineWriter(document: matcher.document)
            var out = OutputBuffer()
            try RequestReader.forEach(in: bytes, file: file) { timed in
                let line = lines.line(matcher.decide(timed.request))
                if let naming {
                    var name = ""
                    JSONWriter.writeString(naming.segmentName(host: timed.request.host), into: &name)
                    out.append(String(line.dropLast(2)) + ",\"segment_name\":" + name + "}\n")
                } else {
                    out.append(line)
                }
            }
            out.flush()
        }
    }
}
