import Testing
@testable import Format
import TestKit

/// Deterministic mutation fuzzing: hostile templates must fail cleanly, never crash or hang.
@Suite struct FuzzSmokeTests {

    static let seeds = [
        "{{range $i, $e := .A}}{{if $i}},{{end}}{{$e}}{{end}}", "{{json .}}", "{{index .M \"k\"}}", "{{len .A}}",
        "{{printf \"%-10s|%5.2f%%\" .S 1.5}}", "{{join .A \", \"}}", "{{with .T}}{{.F}}{{.P.X}}{{end}}",
        "{{define \"a\"}}{{template \"a\" .}}{{end}}{{template \"a\" .}}", "{{- /* c */ -}} {{(.S)}}",
        "table {{.S}}\\t{{upper .S}}", "{{$x := 1}}{{$x = 2}}{{$x}}", "{{slice .S 1 2}} {{eq .N 3 4}} {{lt 1 2}}",
        "{{block \"b\" .}}{{range .M}}{{break}}{{end}}{{end}}", "{{'a'}} {{0x1F}} {{1e3}} {{`raw`}} {{nil}}",
    ]
    static let fragments = ["{{", "}}", "{{-", "-}}", "(", ")", "|", "$", "$x", ":=", "=", ".", ".A", "\"", "`", "'",
                            "range", "if", "else", "end", "with", "define", "template", "block", "break", "continue",
                            "nil", "printf", "index", "json", "1e999", "-", "0x", "/*", "*/", "\n", " ", "\\", "é", "\u{0}"]

    @Test func mutatedTemplatesNeverCrash() {
        var rng = SeededGenerator(state: 42)
        let data: TemplateValue = ["A": ["x", "y"], "S": "str", "N": 3, "M": ["k": "v"], "Z": nil,
                                   "T": .structure(TemplateStruct(typeName: "types.T", fields: [.init("F", 1.5)]))]
        var parsed = 0
        for _ in 0..<2000 {
            var bytes = Array(Self.seeds[rng.below(Self.seeds.count)].utf8)
            for _ in 0..<(1 + rng.below(4)) {
                let position = bytes.isEmpty ? 0 : rng.below(bytes.count + 1)
                switch rng.below(4) {
                case 0: bytes.insert(contentsOf: Array(Self.fragments[rng.below(Self.fragments.count)].utf8), at: position)
                case 1: if !bytes.isEmpty { bytes.remove(at: min(position, bytes.count - 1)) }
                case 2: if !bytes.isEmpty { bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: rng.next()) }
                default: bytes.append(contentsOf: bytes.prefix(rng.below(8)))
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if let template = try? Template(text) {
                parsed += 1
                _ = try? template.execute(data)
                _ = try? template.execute(data, missingKey: .error, functions: .dockerHeader)
            }
            _ = try? FormatRenderer(format: text).render(rows: [data])
            _ = TabWriter.format(text)
        }
        #expect(parsed > 100)
    }

    @Test func deepNestingIsRejectedNotCrashing() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(throws: TemplateError.self) { try Template("{{" + deep + "}}") }
        let ifs = String(repeating: "{{if 1}}", count: 5000) + String(repeating: "{{end}}", count: 5000)
        #expect(throws: TemplateError.self) { try Template(ifs) }
        #expect(throws: TemplateError.self) {
            try Template("{{define \"a\"}}{{template \"a\" .}}{{template \"a\" .}}{{end}}{{template \"a\" .}}").execute(1)
        }
        #expect(throws: JSONDecodeError.self) { try TemplateValue(json: String(repeating: "[", count: 100_000)) }
    }
}
