import XRayCollector
import XRayReadAPI

/// Every collector this process starts (`xray daemon`'s, and the one `xray run` builds inside XRayLauncher)
/// serves the read operations beside intake and sampling: all six X-Ray operations the AWS CLI calls.
HTTPOperations.standard = ReadAPI.operations

/// Entry point: dispatches on the name the binary was called by (`xray-run` is `xray run`).
let invokedAs = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "xray"
var arguments = Array(CommandLine.arguments.dropFirst())
if invokedAs.hasPrefix("xray-") {
    arguments.insert(String(invokedAs.dropFirst("xray-".count)), at: 0)
}
XRay.main(arguments)
