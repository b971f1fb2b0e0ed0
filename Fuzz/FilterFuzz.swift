import XRayQuery

/// Saved groups the compiled filters may name: a plain one, one that names another, and a cycle, so that
/// `group.name` terms reach group resolution and cycle detection.
let savedGroups = [
    "slow": "responsetime > 2",
    "slow-pay": "group.name = \"slow\" AND http.method = \"POST\"",
    "loop": "group.name = \"loop2\"",
    "loop2": "fault OR group.name = \"loop\"",
]

/// libFuzzer entry point for filter expressions: UTF-8 text (invalid bytes replaced, as a shell argument would
/// arrive) through `FilterParser` and `FilterCompiler`, stopping before SQLite.
///
/// The compiled SQL must bind every user value: one `?` per parameter, as `FilterCompiler` promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func filterFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let expression: FilterExpression
    do throws(QueryError) {
        expression = try FilterParser.parse(text)
    } catch {
        _ = error.description
        return 0
    }
    _ = expression.groupNames
    do throws(QueryError) {
        let compiled = try FilterCompiler.compile(expression, groups: savedGroups)
        let placeholders = compiled.sql.utf8.count { $0 == UInt8(ascii: "?") }
        guard placeholders == compiled.parameters.count else {
            fatalError("\(placeholders) placeholders for \(compiled.parameters.count) parameters in \(compiled.sql)")
        }
    } catch {
        _ = error.description
    }
    return 0
}
