// libFuzzer entry point for the template parser/executor: any input must parse or fail cleanly.
import Format

private let fuzzData: TemplateValue = [
    "A": ["x", "y"], "S": "str", "N": 3, "M": ["k": "v"], "Z": nil,
    "T": .structure(TemplateStruct(typeName: "types.T", fields: [.init("F", 1.5), .init("P", .typedNil(.pointer, typeName: "*T"))])),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let template = try? Template(text) {
        _ = try? template.execute(fuzzData)
        _ = try? template.execute(fuzzData, missingKey: .error, functions: .dockerHeader)
    }
    _ = try? FormatRenderer(format: text, headers: ["S": "HEADER"]).render(rows: [fuzzData])
    _ = try? TemplateValue(json: text)
    _ = TabWriter.format(text)
    return 0
}
