// libFuzzer entry point for docker's seccomp profile format: any input must decode and compile, or fail with one
// clear error; never trap.
import Foundation
import Sandbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    if let profile = try? SeccompProfile.decode(bytes) {
        _ = try? SeccompProgram.compile(profile, capabilities: .dockerDefault)
    }
    return 0
}
