import Foundation
import Testing
import XRayTestSupport

/// graphviz's `dot`, which `Scripts/test` installs: the README pipes `graph --format dot` into it.
func graphviz() throws -> URL {
    let path = try #require(
        ["/usr/bin/dot", "/usr/local/bin/dot"].first { FileManager.default.isExecutableFile(atPath: $0) },
        "graphviz's dot (apt-get install graphviz; Scripts/test does)")
    return URL(fileURLWithPath: path)
}
