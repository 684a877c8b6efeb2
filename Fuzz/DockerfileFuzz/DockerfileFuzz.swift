// libFuzzer entry point for the Dockerfile parser and expander: any input must parse or fail cleanly.
import Dockerfile

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let document = try? DockerfileParser.parse(text) {
        _ = try? document.plan(buildArgs: [:], platformValues: ["BUILDPLATFORM": "linux/amd64"])
    }
    _ = try? DockerfileParser.parse(text, options: .init(heredocs: false))
    _ = try? VariableExpander().expandWords(text, environment: ["A": "x y"])
    _ = try? RunMount.parse(text)
    return 0
}
