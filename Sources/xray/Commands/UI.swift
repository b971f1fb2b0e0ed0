import ArgumentParser
import XRayCollector
import XRayConsole
import XRayReadAPI

#if canImport(Glibc)
import Glibc
#endif

extension XRay {
    /// `xray ui`: the console over a store, read-only, in the user's browser.
    struct UI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ui",
            abstract: "Serve the X-Ray console for a store in your browser: traces, one trace's timeline, the service map, runs.",
            discussion: """
                Read-only: the console lists, filters and shows what the store holds and changes nothing. The first \
                line on standard output is the console's URL. Listens on 127.0.0.1:2020; port 0 picks a free port. \
                Requests whose Host header does not name the address served, and requests from other web origins, \
                are refused. Ctrl-C stops it. xray daemon serves the same console on its TCP address.
                """
        )

        @Option(name: .long, help: ArgumentHelp("Where to serve the console (host:port; default 127.0.0.1:2020).", valueName: "host:port"))
        var listen = "127.0.0.1:2020"

        @OptionGroup var storeOptions: StoreOptions

        @Flag(name: .long, help: "Open the console in your browser with xdg-open.")
        var open = false

        func validate() throws {
            do { _ = try Endpoint.parse(listen) } catch { throw ValidationError("--listen: \(error.description)") }
        }

        func run() throws {
            let endpoint = try Endpoint.parse(listen)
            if !Self.isLoopback(endpoint.host) {
                printError("xray ui: warning: --listen \(listen) is not a loopback address: anyone who can reach it can read these traces")
            }
            signal(SIGPIPE, SIG_IGN)
            let signals = TerminationSignals.block()
            let server = try ReadOnlyServer.start(endpoint, storePath: storeOptions.path, operations: ReadAPI.operations.adding(Console.operations))
            let url = "http://\(server.endpoint)/"
            writeLine(1, url)
            if open { Self.openBrowser(url) }
            _ = signals.waitForFirst()
            server.stop()
        }

        static func isLoopback(_ host: String) -> Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }

        /// Starts `xdg-open URL` (argv only, no shell) and leaves it running; a missing xdg-open is a warning.
        static func openBrowser(_ url: String) {
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("xdg-open"), strdup(url), nil]
            defer { for arg in argv { free(arg) } }
            let rc = posix_spawnp(&pid, "xdg-open", nil, nil, argv, environ)
            if rc != 0 {
                printError("xray ui: warning: could not start xdg-open (\(String(cString: strerror(rc)))); open \(url) in your browser")
            }
        }
    }
}
