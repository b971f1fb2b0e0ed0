import ArgumentParser

extension XRay {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look at stored traces: list, show, import and export them."
        )
    }
}
