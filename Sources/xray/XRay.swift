import ArgumentParser

/// The root command: it only lists the subcommands.
struct XRay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xray",
        abstract: "AWS X-Ray on your own machine: trace commands, collect segments, inspect traces, test sampling rules.",
        discussion: """
            Segments are kept in one SQLite file: --store PATH, else $XRAY_STORE, else \
            ${XDG_DATA_HOME:-~/.local/share}/xray/traces.sqlite. Also callable as xray-run, xray-inspect, \
            xray-rules and xray-daemon. See xray(1) for exit codes.
            """,
        version: XRayVersion.string,
        subcommands: [Run.self, Daemon.self, Inspect.self, Rules.self, UI.self]
    )
}

enum XRayVersion {
    static let string = "0.1.0"
}
