// libFuzzer harness for LayerApplier: the input is applied as a layer (twice, so the second pass
// replaces what the first made) into a fresh target inside a fresh sandbox; anything appearing or
// changing in the sandbox outside the target aborts. Run through scripts/fuzz (seed corpus in corpus/).
#if canImport(Glibc)
import Glibc
#endif
import Foundation
#if canImport(Archive)
import Archive
#endif

private let canary = Array("outside the target".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var template = Array((NSTemporaryDirectory() + "/strata-applyfuzz-XXXXXX").utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { abort() }
    let sandbox = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    let target = sandbox + "/target"
    let canaryPath = sandbox + "/canary"
    // Plain POSIX: FileManager.createFile fsyncs, which makes runs slow enough to trip libFuzzer's timeout.
    let canaryFD = open(canaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard mkdir(target, 0o755) == 0, canaryFD >= 0, write(canaryFD, canary, canary.count) == canary.count else { abort() }
    close(canaryFD)
    let before = sandboxState(sandbox)

    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let applier = try? LayerApplier(directory: target) {
        _ = try? applier.apply(layerBytes: bytes)
        _ = try? applier.apply(layerBytes: bytes)
    }

    if sandboxState(sandbox) != before {
        FileHandle.standardError.write(Data("ApplyFuzz: the layer changed \(sandbox) outside its target\n".utf8))
        abort()
    }
    do { try LayerTreeRemoval.removeTree(atPath: sandbox) } catch {
        FileHandle.standardError.write(Data("ApplyFuzz: cannot remove \(sandbox): \(error)\n".utf8))
        abort()
    }
    return 0
}

/// The sandbox's entries other than the target, with the canary's bytes and inode data.
private func sandboxState(_ sandbox: String) -> [String] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: sandbox)) ?? ["?"]).sorted()
    var info = stat()
    let canaryPath = sandbox + "/canary"
    guard lstat(canaryPath, &info) == 0 else { return names + ["canary missing"] }
    let contents = FileManager.default.contents(atPath: canaryPath).map { Array($0) == canary } ?? false
    return names + ["\(info.st_mode) \(info.st_nlink) \(info.st_uid) \(info.st_size) \(contents)"]
}
