// libFuzzer entry point for `load`: any bytes as a docker-archive or OCI layout tar (manifest.json, index.json,
// configs, layers) go through ArchiveLoader into one scratch store. Every input must load or fail with an error,
// never trap, and a failed load must leave the store consistent (checked every 256 inputs).
import Foundation
import Store
import Transport
import Synchronization

private let root: StoreRoot = {
    let path = NSTemporaryDirectory() + "strata-loadfuzz-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    // The store makes its own directories lazily; the input file needs the root before the first write.
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return StoreRoot(path: path)
}()
private let store = try! ImageStore(root: root)
private let runs = Mutex(0)

/// Runs an async load to completion from libFuzzer's synchronous callback.
private final class Outcome: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = root.path + "/input.tar"
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { fatalError("cannot open the input copy \(path): errno \(errno)") }
    defer { close(fd) }
    let outcome = Outcome()
    Task.detached {
        _ = try? await ArchiveLoader(store: store).load(.stream(fileDescriptor: fd))
        outcome.done.signal()
    }
    outcome.done.wait()
    let count = runs.withLock { value -> Int in value += 1; return value }
    if count % 256 == 0, let report = try? store.check(), !report.damage.isEmpty {
        fatalError("store damaged after a failed load: \(report.damage)")
    }
    return 0
}
