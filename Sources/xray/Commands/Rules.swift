import ArgumentParser

extension XRay {
    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate, explain, simulate and lint X-Ray sampling rules offline."
        )
    }
}
