import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import ImageBuilder

/// Scratch directories and small filesystem helpers for the context and copy tests.
final class Scratch {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/strata-buildtests-XXXXXX").utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: template)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String {
        let full = path + "/" + name
        try? FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}

func write(_ path: String, _ text: String, mode: mode_t = 0o644) {
    let parent = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    chmod(path, mode)
}

func makeDirectory(_ path: String, mode: mode_t = 0o755) {
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    chmod(path, mode)
}

func symlink(_ target: String, at path: String) {
    _ = Glibc.symlink(target, path)
}

func shell(_ command: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    try? process.run()
    process.waitUntilExit()
}

func readText(_ path: String) -> String? {
    (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) }
}

/// `path|type|mode|uid|gid|size|target|nlink` like the docker listing the expectations were taken from
/// (`stat -c "%n|%F|%a|%u|%g|%s|%N|%h"`, sizes of directories and archives and directory link counts
/// left out as "-").
func listing(root: String, path: String) -> String? {
    var info = stat()
    guard lstat(root + path, &info) == 0 else { return nil }
    let kind: String
    switch info.st_mode & S_IFMT {
    case S_IFDIR: kind = "d"
    case S_IFLNK: kind = "l"
    default: kind = "f"
    }
    let mode = String(info.st_mode & 0o7777, radix: 8)
    let isArchive = path.contains("arch.tar")
    let size = kind == "f" && !isArchive ? String(info.st_size) : "-"
    var target = ""
    if kind == "l" {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(root + path, &buffer, buffer.count)
        target = String(decoding: buffer[..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    let links = kind == "d" ? "-" : String(info.st_nlink)
    return "\(path)|\(kind)|\(mode)|\(info.st_uid)|\(info.st_gid)|\(size)|\(target)|\(links)"
}

/// Every path below `root + path` (inclusive), sorted.
func allPaths(root: String, under path: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root + path) else { return [path] }
    var result = [path]
    while let next = enumerator.nextObject() as? String { result.append(path + "/" + next) }
    return result.sorted()
}

/// A tiny rootfs shaped like busybox's for the parts COPY looks at.
func makeBusyboxLikeRoot(_ root: String) {
    makeDirectory(root + "/etc")
    write(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    write(root + "/etc/group", "root:x:0:\nnogroup:x:65534:\n")
    makeDirectory(root + "/tmp", mode: 0o1777)
    chmod(root + "/tmp", 0o1777)
    makeDirectory(root + "/bin")
    write(root + "/bin/busybox", "ELF", mode: 0o755)
    symlink("busybox", at: root + "/bin/sh")
}
