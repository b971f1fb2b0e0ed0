import ArgumentParser
import XRayWire

/// The name the binary was called by, and whether it is one of the subcommand links `Scripts/install` makes.
///
/// Only the exact names `xray-run`, `xray-inspect`, `xray-rules` and `xray-daemon` are subcommands: a release
/// download such as `xray-linux-x86_64` or `xray-static` is plain `xray`.
enum Invocation {
    static let name: String = {
        guard let path = CommandLine.arguments.first, let last = path.split(separator: "/").last else { return "xray" }
        return String(last)
    }()

    /// The subcommand the invoked name stands for, when it is one of the links.
    static var subcommand: (any ParsableCommand.Type)? {
        switch name {
        case "xray-run": XRay.Run.self
        case "xray-daemon": XRay.Daemon.self
        case "xray-inspect": XRay.Inspect.self
        case "xray-rules": XRay.Rules.self
        default: nil
        }
    }

    /// `base` under `xray`; the invoked name when that subcommand is the root, so help, usage and error hints
    /// print `xray-inspect traces`, not `xray inspect traces`.
    static func commandName(_ base: String) -> String {
        name == "xray-\(base)" && subcommand != nil ? name : base
    }
}

// ArgumentParser names a command by `_commandName` in usage lines, help and completion scripts.
extension XRay.Run { static var _commandName: String { Invocation.commandName("run") } }
extension XRay.Daemon { static var _commandName: String { Invocation.commandName("daemon") } }
extension XRay.Inspect { static var _commandName: String { Invocation.commandName("inspect") } }
extension XRay.Rules { static var _commandName: String { Invocation.commandName("rules") } }

/// The command whose subcommand `arguments` mistype (as its words, `xray inspect`), and the name meant, when
/// one is close enough: the parser itself reports only "Unexpected argument" for `xray inspect trace`.
func mistypedSubcommand(_ root: any ParsableCommand.Type, _ arguments: [String]) -> (path: String, typed: String, meant: String)? {
    var command = root
    var path = [root._commandName]
    for argument in arguments {
        let subcommands = command.configuration.subcommands
        guard !subcommands.isEmpty, !argument.hasPrefix("-") else { return nil }
        if let next = subcommands.first(where: { $0._commandName == argument || $0.configuration.aliases.contains(argument) }) {
            command = next
            path.append(next._commandName)
            continue
        }
        guard let meant = Wording.closest(to: argument, among: subcommands.map { $0._commandName }) else { return nil }
        return (path.joined(separator: " "), argument, meant)
    }
    return nil
}

/// Parses and runs `root` or one of its subcommands, as `ParsableCommand.main` does, but with every error a
/// command throws turned into its exit code and message by `Failure`.
func execute(_ root: any ParsableCommand.Type, _ arguments: [String]) -> Never {
    var command: any ParsableCommand
    do {
        command = try root.parseAsRoot(arguments)
    } catch {
        if let typo = mistypedSubcommand(root, arguments) {
            printError(
                "Error: unknown subcommand '\(typo.typed)'; did you mean '\(typo.meant)'?\n"
                    + "Usage: \(typo.path) <subcommand>\n  See '\(typo.path) --help' for more information.")
            root.exit(withError: ExitCode(ExitCodes.usage))
        }
        root.exit(withError: error)
    }
    do {
        try command.run()
    } catch {
        guard let failure = Failure(error) else { root.exit(withError: error) }
        failure.report(for: type(of: command))
        root.exit(withError: ExitCode(failure.code))
    }
    root.exit()
}

let arguments = Array(CommandLine.arguments.dropFirst())
if let subcommand = Invocation.subcommand, arguments != ["--version"] {
    execute(subcommand, arguments)
} else {
    execute(XRay.self, arguments)
}
