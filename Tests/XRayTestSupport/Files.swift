import Foundation

/// A fresh folder under the system temporary folder, removed by the caller when done.
package func makeTemporaryDirectory(_ name: String = "xray-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A store path in a folder of its own that does not exist yet: the store creates both, as it does for a user.
package func temporaryStorePath(_ name: String = "xray-store") -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)/traces.sqlite").path
}

/// The checked-in fixtures folder (`Tests/Fixtures`).
package let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The Python of the test virtualenv that `Scripts/test` prepares, when there is one: `$XRAY_TEST_PYTHON`,
/// else `.tools/venv/bin/python` in the checkout.
package var testPython: String? {
    if let p = ProcessInfo.processInfo.environment["XRAY_TEST_PYTHON"], FileManager.default.isExecutableFile(atPath: p) {
        return p
    }
    let local = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".tools/venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: local) ? local : nil
}
