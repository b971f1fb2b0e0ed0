import ArgumentParser

extension XRay {
    struct Daemon: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A local stand-in for the X-Ray daemon: stores every segment and serves the sampling API."
        )
    }
}
