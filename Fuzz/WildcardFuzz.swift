import XRaySampling

/// libFuzzer entry point for the Python SDK's wildcard matching: the input split at its first NUL byte (without
/// one, at its middle) is a pattern and a text (UTF-8, invalid bytes replaced), matched both ways round.
///
/// A pattern with no `*` or `?` must match its own text: that is the one answer known without the Python SDK.
@_cdecl("LLVMFuzzerTestOneInput")
public func wildcardFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let nul = bytes.firstIndex(of: 0)
    let split = nul ?? size / 2
    let pattern = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[(nul.map { $0 + 1 } ?? split)...]), as: UTF8.self)
    _ = WildcardPattern(pattern).matches(text)
    _ = WildcardPattern(text).matches(pattern)
    guard WildcardPattern(pattern).matches(pattern) || pattern.unicodeScalars.contains(where: { $0 == "*" || $0 == "?" }) else {
        fatalError("a pattern without wildcards does not match its own text")
    }
    return 0
}
