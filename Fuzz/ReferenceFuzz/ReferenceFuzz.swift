// libFuzzer entry point for the OCI parsers and docker's per-command framing of their errors (DockerViews).
// Build with `-sanitize=fuzzer,address` and link against OCI and DockerViews.
// Crashes (traps) when an accepted reference does not re-parse to itself.
import DockerViews
import GoText
import OCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let reference = try? ImageReference(input) {
        guard let again = try? ImageReference(reference.description), again == reference else {
            fatalError("reference \(reference) does not round-trip")
        }
    }
    _ = try? ImageReference.parse(input, rules: .client)
    _ = try? ImageReference.parse(input, rules: .daemon)
    _ = try? AnyImageReference(input)
    for command in DockerReferenceCommand.allCases { _ = command.failure(for: input) }
    if let digest = try? Digest(input), digest.description != input {
        fatalError("digest \(input) does not round-trip")
    }
    _ = ImageIDPrefix(input)
    _ = try? Platform(parsing: input)
    _ = try? Timestamp(input)
    return 0
}
