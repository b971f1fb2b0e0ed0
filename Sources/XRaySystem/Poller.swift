import CXRaySystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Readiness of a descriptor: what a poller is asked to watch, and what it reports.
package struct PollEvents: OptionSet, Sendable, Hashable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    package static let readable = PollEvents(rawValue: 1 << 0)
    package static let writable = PollEvents(rawValue: 1 << 1)
    /// Reported whether asked for or not: the peer hung up.
    package static let hangup = PollEvents(rawValue: 1 << 2)
    /// Reported whether asked for or not: the descriptor has an error (or, with poll(2), is not open).
    package static let error = PollEvents(rawValue: 1 << 3)
}

/// Level-triggered readiness of many descriptors, each registered with a caller's tag that `wait` hands back.
///
/// Two implementations: `EpollPoller` (Linux) and `PollPoller` (poll(2), any POSIX system). A descriptor
/// must be removed before it is closed: poll(2) would otherwise keep watching its number.
package protocol Poller: AnyObject {
    init() throws(SystemError)
    /// Starts watching `fd` (or changes what is watched, if it already is).
    func add(_ fd: Int32, interest: PollEvents, tag: UInt64) throws(SystemError)
    /// Changes what is watched for `fd`; an empty interest still reports hang-ups and errors.
    func modify(_ fd: Int32, interest: PollEvents, tag: UInt64) throws(SystemError)
    /// Stops watching `fd`; unknown descriptors are ignored.
    func remove(_ fd: Int32)
    /// Waits up to `milliseconds` (-1: no limit) and calls `ready` for each descriptor with events, in no
    /// particular order. `ready` may add, modify and remove descriptors. Returns how many it reported; a
    /// wait cut short by a signal reports none.
    @discardableResult
    func wait(milliseconds: Int32, _ ready: (_ tag: UInt64, _ events: PollEvents) -> Void) -> Int
}

/// The poller this build uses: epoll on Linux, poll(2) elsewhere and when built with `XRAY_POSIX_FALLBACK`.
#if os(Linux) && !XRAY_POSIX_FALLBACK
package typealias SystemPoller = EpollPoller
#else
package typealias SystemPoller = PollPoller
#endif

#if os(Linux)
/// epoll(7), level-triggered: the cost of a wait does not grow with the descriptors watched.
package final class EpollPoller: Poller {
    private let epollFD: Int32
    private let capacity = 256
    private let events: UnsafeMutablePointer<epoll_event>

    package init() throws(SystemError) {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .poller(operation: "epoll_create1", errno: errno) }
        events = .allocate(capacity: capacity)
        events.initialize(repeating: epoll_event(), count: capacity)
    }

    deinit {
        close(epollFD)
        events.deallocate()
    }

    package func add(_ fd: Int32, interest: PollEvents, tag: UInt64) throws(SystemError) {
        if control(EPOLL_CTL_ADD, fd, interest, tag) != 0 {
            guard errno == EEXIST else { throw .poller(operation: "epoll_ctl(ADD)", errno: errno) }
            try modify(fd, interest: interest, tag: tag)
        }
    }

    package func modify(_ fd: Int32, interest: PollEvents, tag: UInt64) throws(SystemError) {
        guard control(EPOLL_CTL_MOD, fd, interest, tag) == 0 else {
            throw .poller(operation: "epoll_ctl(MOD)", errno: errno)
        }
    }

    package func remove(_ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
    }

    @discardableResult
    package func wait(milliseconds: Int32, _ ready: (_ tag: UInt64, _ events: PollEvents) -> Void) -> Int {
        let count = epoll_wait(epollFD, events, Int32(capacity), milliseconds)
        guard count > 0 else { return 0 }
        for i in 0..<Int(count) {
            let raw = events[i].events
            var reported: PollEvents = []
            if raw & EPOLLIN.rawValue != 0 { reported.insert(.readable) }
            if raw & EPOLLOUT.rawValue != 0 { reported.insert(.writable) }
            if raw & EPOLLHUP.rawValue != 0 { reported.insert(.hangup) }
            if raw & EPOLLERR.rawValue != 0 { reported.insert(.error) }
            ready(events[i].data.u64, reported)
        }
        return Int(count)
    }

    private func control(_ operation: Int32, _ fd: Int32, _ interest: PollEvents, _ tag: UInt64) -> Int32 {
        var raw: UInt32 = 0
        if interest.contains(.readable) { raw |= EPOLLIN.rawValue }
        if interest.contains(.writable) { raw |= EPOLLOUT.rawValue }
        var event = epoll_event(events: raw, data: epoll_data_t(u64: tag))
        return epoll_ctl(epollFD, operation, fd, &event)
    }
}
#endif

/// poll(2) over an array of every watched descriptor: plain POSIX, for systems without epoll. A wait costs
/// time in proportion to the descriptors watched, which is fine for a developer's machine.
package final class PollPoller: Poller {
    private var entries: [pollfd] = []
    private var tags: [UInt64] = []
    /// Position of each watched descriptor in `entries` and `tags`.
    private var positions: [Int32: Int] = [:]
    /// What the last wait found, kept apart from `entries` so `ready` may change the watched set.
    private var found: [(tag: UInt64, events: PollEvents)] = []

    package init() throws(SystemError) {}

    package func add(_ fd: Int32, interest: PollEvents, tag: UInt64) throws(SystemError) {
        if positions[fd] != nil {
            try modify(fd, interest: interest, tag: tag)
            return
        }
        positions[fd] = entries.count
        entries.append(pollfd(fd: fd, events: Self.flags(interest), revents: 0))
        tags.append(tag)
    }

    package func modify(_ fd: Int32, interest: PollEvents, tag: UInt64) throws(SystemError) {
        guard let position = positions[fd] else { throw .poller(operation: "poll: modify", errno: ENOENT) }
        entries[position].events = Self.flags(interest)
        tags[position] = tag
    }

    package func remove(_ fd: Int32) {
        guard let position = positions.removeValue(forKey: fd) else { return }
        let last = entries.count - 1
        if position != last {
            entries[position] = entries[last]
            tags[position] = tags[last]
            positions[entries[position].fd] = position
        }
        entries.removeLast()
        tags.removeLast()
    }

    @discardableResult
    package func wait(milliseconds: Int32, _ ready: (_ tag: UInt64, _ events: PollEvents) -> Void) -> Int {
        let count = entries.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), milliseconds) }
        guard count > 0 else { return 0 }
        found.removeAll(keepingCapacity: true)
        for index in entries.indices where entries[index].revents != 0 {
            let raw = entries[index].revents
            entries[index].revents = 0
            var reported: PollEvents = []
            if raw & Int16(POLLIN) != 0 { reported.insert(.readable) }
            if raw & Int16(POLLOUT) != 0 { reported.insert(.writable) }
            if raw & Int16(POLLHUP) != 0 { reported.insert(.hangup) }
            if raw & Int16(POLLERR | POLLNVAL) != 0 { reported.insert(.error) }
            found.append((tags[index], reported))
        }
        for (tag, events) in found { ready(tag, events) }
        return found.count
    }

    private static func flags(_ interest: PollEvents) -> Int16 {
        var flags: Int16 = 0
        if interest.contains(.readable) { flags |= Int16(POLLIN) }
        if interest.contains(.writable) { flags |= Int16(POLLOUT) }
        return flags
    }
}
