#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Sandbox
import Synchronization

/// `RUN --mount=type=ssh`: a socket of the step's own, with the mount's mode and owner (BuildKit: 0600, 0:0),
/// bind-mounted at the target; each connection to it is relayed to the forwarded agent. The agent's own socket
/// is never exposed, nor its owner and mode changed.
final class SSHAgentRelay: Sendable {
    /// The listening socket's path on the host (the bind mount's source).
    let path: String
    private let listener: Int32
    private let stopped = Mutex(false)

    private init(path: String, listener: Int32) {
        self.path = path
        self.listener = listener
    }

    /// Listens on `directory/name` (the directory private to the step) and relays to `upstream`.
    static func open(upstream: String, directory: ShortPathDirectory, name: String, mode: UInt32, uid: UInt32,
                     gid: UInt32) throws -> SSHAgentRelay {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BuildFailure("ssh forwarding: socket: \(SSHForwarding.goErrorText(errno))") }
        let path = directory.path(name)
        guard bindUnix(fd, directory.shortPath(name)) == 0, chmod(path, mode_t(mode & 0o7777)) == 0,
              chown(path, uid, gid) == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw BuildFailure("ssh forwarding: listen on \(path): \(SSHForwarding.goErrorText(code))")
        }
        let relay = SSHAgentRelay(path: path, listener: fd)
        Thread.detachNewThread { relay.acceptLoop(upstream: upstream) }
        return relay
    }

    /// Stops accepting; connections already made end when their client does (the step's processes are gone).
    func close() {
        stopped.withLock { stopped in
            if !stopped { shutdown(listener, Int32(SHUT_RDWR)) }
            stopped = true
        }
    }

    private func acceptLoop(upstream: String) {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                break
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            if stopped.withLock({ $0 }) { Glibc.close(client); break }
            let agent = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard agent >= 0, Self.connectUnix(agent, upstream) == 0 else {
                if agent >= 0 { Glibc.close(agent) }
                Glibc.close(client)
                continue
            }
            Thread.detachNewThread { Self.pump(client, agent) }
        }
        Glibc.close(listener)
    }

    /// Copies both ways until either side closes.
    private static func pump(_ a: Int32, _ b: Int32) {
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 16384)
        loop: while true {
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { break }
            for index in 0..<2 where fds[index].revents != 0 {
                let from = fds[index].fd, to = fds[1 - index].fd
                let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break loop }
                var sent = 0
                while sent < n {
                    let m = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, n - sent) }
                    if m < 0 && errno == EINTR { continue }
                    guard m > 0 else { break loop }
                    sent += m
                }
            }
        }
        Glibc.close(a)
        Glibc.close(b)
    }

    static func connectUnix(_ fd: Int32, _ path: String) -> Int32 {
        withAddress(path) { connect(fd, $0, $1) }
    }

    static func bindUnix(_ fd: Int32, _ path: String) -> Int32 {
        withAddress(path) { bind(fd, $0, $1) }
    }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { errno = ENAMETOOLONG; return -1 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
