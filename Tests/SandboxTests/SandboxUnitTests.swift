import Foundation
import Testing
@testable import Sandbox

@Suite("Sandbox: users, environment, scoped paths")
struct SandboxUnitTests {
    static let passwd = [
        ["root", "x", "0", "0", "root", "/root", "/bin/sh"],
        ["nobody", "x", "65534", "65534", "nobody", "/nonexistent", "/bin/false"],
        ["app", "x", "1000", "1000", "", "/home/app", "/bin/sh"],
    ]
    static let group = [
        ["root", "x", "0", ""], ["wheel", "x", "10", "app,other"], ["nogroup", "x", "65534", ""], ["app", "x", "1000", ""],
    ]

    @Test func userForms() throws {
        let resolve = { (user: String) in try UserResolver.resolve(user, passwd: Self.passwd, group: Self.group) }
        #expect(try resolve("") == ContainerUser(uid: 0, gid: 0, groups: [0], home: "/root"))
        #expect(try resolve("nobody") == ContainerUser(uid: 65534, gid: 65534, groups: [65534], home: "/nonexistent"))
        #expect(try resolve("app") == ContainerUser(uid: 1000, gid: 1000, groups: [1000, 10], home: "/home/app"))
        #expect(try resolve("1000") == ContainerUser(uid: 1000, gid: 1000, groups: [1000, 10], home: "/home/app"))
        #expect(try resolve("1234") == ContainerUser(uid: 1234, gid: 0, groups: [0], home: "/"))
        #expect(try resolve("1234:5678") == ContainerUser(uid: 1234, gid: 5678, groups: [5678], home: "/"))
        #expect(try resolve("nobody:root") == ContainerUser(uid: 65534, gid: 0, groups: [0], home: "/nonexistent"))
        #expect(throws: SandboxError.userNotFound("nosuch")) { try resolve("nosuch") }
        #expect(throws: SandboxError.groupNotFound("nosuchgrp")) { try resolve("root:nosuchgrp") }
        #expect(SandboxError.userNotFound("nosuch").description == "unable to find user nosuch: no matching entries in passwd file")
    }

    @Test func dockerEnvironmentOrder() {
        let env = ContainerFiles.environment(imageEnv: ["A=1"], userEnv: ["PATH=/x:/bin", "B=2", "A=3"],
                                             hostname: "abc", tty: false, home: "/root")
        #expect(env == ["PATH=/x:/bin", "HOSTNAME=abc", "A=3", "B=2", "HOME=/root"])
        let withHome = ContainerFiles.environment(imageEnv: [], userEnv: ["HOME=/h"], hostname: "h", tty: true, home: "/root")
        #expect(withHome == ["PATH=\(ContainerFiles.defaultPath)", "HOSTNAME=h", "TERM=xterm", "HOME=/h"])
    }

    @Test func startFailureExitStatuses() {
        #expect(SandboxError.startFailed("exec: \"x\": executable file not found in $PATH").exitStatus == 127)
        #expect(SandboxError.startFailed("exec: \"./x\": stat ./x: no such file or directory").exitStatus == 127)
        #expect(SandboxError.startFailed("exec: \"/etc\": permission denied").exitStatus == 126)
        #expect(SandboxError.setup("mount /proc", EPERM).exitStatus == 125)
    }

    @Test func resolvConfDropsLoopbackServers() throws {
        let file = NSTemporaryDirectory() + "/resolv-\(UUID().uuidString)"
        defer { unlink(file) }
        try "nameserver 127.0.0.53\nsearch example\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(ContainerFiles.resolvConf(hostFile: file) == "search example\n\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n")
        try "nameserver 10.0.0.1\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(ContainerFiles.resolvConf(hostFile: file) == "nameserver 10.0.0.1\n")
    }

    @Test func scopedPathsNeverLeaveTheRoot() throws {
        let root = NSTemporaryDirectory() + "/scoped-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        symlink("/", root + "/up")
        symlink("../../../../etc", root + "/rel")
        symlink("/etc", root + "/abs")
        #expect(try ScopedPath.resolve("/up/etc/passwd", in: root) == root + "/etc/passwd")
        #expect(try ScopedPath.resolve("/rel/passwd", in: root) == root + "/etc/passwd")
        #expect(try ScopedPath.resolve("/abs/../../x", in: root) == root + "/x")
        let made = try ScopedPath.makeDirectories("/up/a/b", in: root)
        #expect(made.hostPath == root + "/a/b")
        #expect(made.created == ["/up/a", "/up/a/b"])
        let file = try ScopedPath.makeMountTarget("/abs/hosts", in: root, file: true)
        #expect(file.hostPath == root + "/etc/hosts")
        #expect(FileManager.default.fileExists(atPath: root + "/etc/hosts"))
    }

    @Test func overlayOptionEscaping() {
        #expect(RootfsSnapshot.escape("/a,b:c\\d") == "/a\\,b\\:c\\\\d")
    }
}
