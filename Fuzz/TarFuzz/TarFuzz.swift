// libFuzzer harness for the tar validator (the parser that sees untrusted `strata import` input).
// The validator needs only Glibc, so the harness is built together with its sources:
//
//   swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name TarFuzz \
//     Fuzz/TarFuzz/TarFuzz.swift Sources/Archive/{TarStreamValidator,TarHeaderBlock,PaxRecords,\
//   ContentSizeLedger,TarEntryHeader,ArchiveError}.swift -o /tmp/tarfuzz
//   /tmp/tarfuzz -max_total_time=300 -max_len=8192 /tmp/tarfuzz-corpus
//
// Seed the corpus with small tars (e.g. `tar --format=gnu/pax/oldgnu -cf`). Any crash or hang is a bug.
#if canImport(Archive)
import Archive
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // Whole buffer at once, and again split at a data-derived point to exercise resumption.
    _ = try? TarStreamValidator.validate(bytes) { _ in }
    let split = size == 0 ? 0 : Int(bytes[0]) * 37 % size
    let validator = TarStreamValidator()
    _ = try? validator.consume(UnsafeRawBufferPointer(rebasing: bytes[..<split]))
    _ = try? validator.consume(UnsafeRawBufferPointer(rebasing: bytes[split...]))
    _ = try? validator.finish()
    return 0
}
