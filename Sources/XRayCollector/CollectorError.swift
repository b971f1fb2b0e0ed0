import XRayStore

#if canImport(Glibc)
import Glibc
#endif

/// Why the collector could not start or keep running; descriptions name no flag or command (the CLI adds
/// what to do next).
public enum CollectorError: Error, Sendable, CustomStringConvertible {
    /// An `AWS_XRAY_DAEMON_ADDRESS`-style value that does not parse.
    case invalidAddress(String, reason: String)
    /// A host name that does not resolve to an IPv4 address.
    case unresolvableHost(String)
    /// The UDP or TCP port is taken by another process.
    case portInUse(transport: Transport, host: String, port: Int)
    /// An OTLP listener's address that was asked for (not the default) is taken; `protocolName` is `OTLP/HTTP`
    /// or `OTLP/gRPC`.
    case otlpPortInUse(protocolName: String, host: String, port: Int)
    /// The address is not on this machine, or needs privileges.
    case cannotBind(transport: Transport, host: String, port: Int, errno: Int32)
    /// A socket call failed for a reason other than the ones above.
    case socket(operation: String, errno: Int32)
    case threadStart(name: String, errno: Int32)
    case store(StoreError)
    /// The sampling rules file could not be read or is invalid.
    case samplingRules(file: String, reason: String)
    /// The forward address is the collector's own UDP address: every datagram would come back forever.
    case forwardToSelf(forward: String, udp: String)

    public enum Transport: String, Sendable { case udp = "UDP", tcp = "TCP" }

    public var description: String {
        switch self {
        case .invalidAddress(let value, let reason):
            return "invalid daemon address \"\(value)\": \(reason); use host:port (127.0.0.1:2000) or \"tcp:host:port udp:host:port\""
        case .unresolvableHost(let host):
            return "cannot resolve \"\(host)\" to an IPv4 address; use an IPv4 literal such as 127.0.0.1"
        case .portInUse(let transport, let host, let port):
            return "\(transport.rawValue) port \(port) on \(host) is already in use (is another xray daemon or the AWS X-Ray daemon running? "
                + "find it with: ss -lunpt 'sport = :\(port)')"
        case .otlpPortInUse(let protocolName, let host, let port):
            return "\(protocolName) port \(port) on \(host) is already in use (is an OpenTelemetry Collector or another xray "
                + "daemon running? find it with: ss -ltnp 'sport = :\(port)')"
        case .cannotBind(let transport, let host, let port, let errno):
            return
                "cannot bind \(transport.rawValue) \(host):\(port): \(Self.text(errno)); use an address of this machine, and a port above 1023 unless you run as root"
        case .socket(let operation, let errno):
            return "\(operation) failed: \(Self.text(errno))"
        case .threadStart(let name, let errno):
            return "cannot start the \(name) thread: \(Self.text(errno)); the system is out of threads or memory"
        case .store(let error):
            return error.description
        case .forwardToSelf(let forward, let udp):
            return "\(forward) is this daemon's own UDP address (\(udp)): each datagram would be received and "
                + "forwarded again forever"
        case .samplingRules(let file, let reason):
            return "sampling rules \(file): \(reason)"
        }
    }

    static func text(_ errno: Int32) -> String { String(cString: strerror(errno)) }
}
