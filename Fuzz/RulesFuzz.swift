import XRaySampling

/// libFuzzer entry point for sampling rule files: what `xray rules validate` does with a file's bytes
/// (`RuleDocument.validate`, with the format detected and then forced to each shape), and for a valid document
/// what `lint`, `convert` and `match` do with it.
@_cdecl("LLVMFuzzerTestOneInput")
public func rulesFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    for format in [nil, RuleFileFormat.local, .centralized] {
        let report: ValidationReport
        do throws(SamplingError) {
            report = try RuleDocument.validate(bytes, file: "fuzz.json", format: format)
        } catch {
            _ = error.description
            continue
        }
        for diagnostic in report.diagnostics { _ = diagnostic.description }
        if let document = report.document { exercise(document) }
    }
    return 0
}

/// The commands that take a loaded document.
func exercise(_ document: RuleDocument) {
    for finding in RuleLinter.lint(document) { _ = finding.description }
    for format in RuleFileFormat.allCases {
        _ = RuleConverter.convert(document, to: format).notes
    }
    _ = document.samplingRuleRecordsJSON
    let request = SamplingRequest(
        host: "api.example.com", method: "GET", path: "/api/users/1", serviceName: "users",
        serviceType: "AWS::EC2::Instance")
    for sdk in SDK.allCases {
        let matcher = RuleMatcher(document: document, sdk: sdk)
        _ = matcher.decide(request)
        _ = matcher.explain(request).steps.count
    }
}
