import Testing
@testable import Format

private func run(_ source: String, _ data: TemplateValue = .null, missingKey: MissingKeyBehavior = .noValue) -> String {
    do {
        return try Template(source).execute(data, missingKey: missingKey)
    } catch {
        return "ERR " + error.message
    }
}

private let imageRow = TemplateValue.structure(.formatterContext(typeName: "*formatter.imageContext", fields: [
    ("ID", "9aa0521c58b1"), ("Repository", "local/busybox"), ("Tag", "latest"), ("Digest", "<none>"),
    ("CreatedSince", "6 minutes ago"), ("CreatedAt", "2026-11-26 16:05:40 +0000 UTC"), ("Size", "1.98MB"),
    ("Containers", "N/A"), ("VirtualSize", "1.984MB"), ("SharedSize", "N/A"), ("UniqueSize", "N/A"),
]))

private let sample: TemplateValue = [
    "A": ["x", "y", "z"], "S": "hello wORLD", "M": ["k": "v", "b": 2, "a": 1],
    "RootFS": ["Type": "layers", "Layers": ["sha256:a", "sha256:b"]], "N": 3, "E": [], "Z": nil,
]

@Suite struct TemplateBasics {
    @Test func fieldsAndPrinting() {
        #expect(run("{{.S}}", sample) == "hello wORLD")
        #expect(run("{{.RootFS.Layers}}", sample) == "[sha256:a sha256:b]")
        #expect(run("{{.M}}", sample) == "map[a:1 b:2 k:v]")
        #expect(run("{{.Missing}}", sample) == "<no value>")
        #expect(run("{{.Z}}", sample) == "<no value>")
        #expect(run("{{.}}", "x") == "x")
        #expect(run("{{$}}", 5) == "5")
        #expect(run("{{.E}}", sample) == "[]")
        #expect(run("{{1e6}} {{1.5}} {{0x10}} {{printf \"%v %v\" 1e21 100000.0}} {{ 1e-5 }} {{len \"héllo\"}}") ==
            "1e+06 1.5 16 1e+21 100000 1e-05 6")
        let structure = TemplateValue.structure(TemplateStruct(typeName: "types.RootFS", fields: [
            .init("Type", "layers"), .init("Layers", .strings(["sha256:006c"])), .init("BaseLayer", ""),
        ]))
        #expect(run("{{.}}", structure) == "{layers [sha256:006c] }")
        #expect(run("{{.}}", .typedNil(.pointer, typeName: "*T")) == "<nil>")
        #expect(run("{{.}}", .typedNil(.map, typeName: "map[string]string")) == "map[]")
        #expect(run("{{.}}", .typedNil(.slice, typeName: "[]string")) == "[]")
    }

    @Test func rangeIfWith() {
        #expect(run("{{range $i, $e := .A}}{{if $i}},{{end}}{{$e}}{{end}}", sample) == "x,y,z")
        #expect(run("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", sample) == "a=1;b=2;k=v;")
        #expect(run("{{range .E}}x{{else}}empty{{end}}", sample) == "empty")
        #expect(run("{{range .Z}}x{{else}}nil{{end}}", sample) == "nil")
        #expect(run("{{range .A}}{{if eq . \"y\"}}{{break}}{{end}}{{.}}{{end}}", sample) == "x")
        #expect(run("{{range .A}}{{if eq . \"y\"}}{{continue}}{{end}}{{.}}{{end}}", sample) == "xz")
        #expect(run("{{with .RootFS}}{{with .Layers}}{{index . 1}}{{end}}{{end}}", sample) == "sha256:b")
        #expect(run("{{with .Missing}}yes{{else}}no{{end}}", sample) == "no")
        #expect(run("{{if .Missing}}a{{else if .N}}b{{else}}c{{end}}", sample) == "b")
        #expect(run("{{$x := .N}}{{$x = 7}}{{$x}}", sample) == "7")
        #expect(run("{{define \"t\"}}[{{.}}]{{end}}{{template \"t\" .S}}", sample) == "[hello wORLD]")
        #expect(run("{{block \"b\" .N}}<{{.}}>{{end}}", sample) == "<3>")
        #expect(run("a  {{- /* c */ -}}  b {{- 1 -}} \n c") == "ab1c")
    }

    @Test func builtins() {
        #expect(run("{{index .M \"k\"}} {{len .A}} {{printf \"%-10s|\" .S}} {{join .A \", \"}}", sample) ==
            "v 3 hello wORLD| x, y, z")
        #expect(run("{{upper .S}} {{lower .S}} {{title .S}} {{truncate .S 3}}|{{pad .S 1 2}}|", sample) ==
            "HELLO WORLD hello world Hello WORLD hel| hello wORLD  |")
        #expect(run("{{title \"hello wORLD-foo bar_baz\"}} {{split \"a,b\" \",\"}} {{join (split \"a,b\" \",\") \"-\"}}") ==
            "Hello WORLD-Foo Bar_baz [a b] a-b")
        #expect(run("{{.S | printf \"%q\"}} {{printf \"%5.1f|%-6s|%x|%t|%v\" 3.14159 \"ab\" 255 true .N}}", sample) ==
            "\"hello wORLD\"   3.1|ab    |ff|true|3")
        #expect(run(#"{{printf "%q %v %x %X % x %08.3f %+d %e %g %G %c %U %o %b %5t|%-5d|%05d" "a\"é\n" nil "hi" 255 "hi" 3.14159 5 123456.789 0.000001234 1e100 65 65 8 5 true 42 -42}}"#)
            == #""a\"é\n" <nil> 6869 FF 68 69 0003.142 +5 1.234568e+05 1.234e-06 1E+100 A U+0041 10 101  true|42   |-0042"#)
        #expect(run(#"{{printf "%s %d" 5 "x"}} {{printf "%d"}} {{printf "%d" 1 2}} {{printf "%!"}} {{printf "%z" 3}}"#) ==
            "%!s(int=5) %!d(string=x) %!d(MISSING) 1%!(EXTRA int=2) %!!(MISSING) %!z(int=3)")
        #expect(run(#"{{lt "a" "b"}} {{eq .N 3}} {{ne "a" "b" }} {{not 0}} {{and 1 0 2}} {{or 0 "" "x"}} {{html "<a&\"b>"}} {{js "a'b<\"c>"}} {{urlquery "a b&c/d"}} {{print 1 2 "a" "b" 3}} {{println "x" 1}}|"#, sample)
            == "true true true true 0 x &lt;a&amp;&#34;b&gt; a\\'b\\u003C\\\"c\\u003E a+b%26c%2Fd 1 2ab3 x 1\n|")
        #expect(run("{{slice \"hello\" 1 3}} {{index \"abc\" 1}} {{len .M}}", sample) == "el 98 3")
        #expect(run("{{json .}}", imageRow) ==
            #"{"Containers":"N/A","CreatedAt":"2026-11-26 16:05:40 +0000 UTC","CreatedSince":"6 minutes ago","Digest":"\u003cnone\u003e","ID":"9aa0521c58b1","Repository":"local/busybox","SharedSize":"N/A","Size":"1.98MB","Tag":"latest","UniqueSize":"N/A","VirtualSize":"1.984MB"}"#)
        #expect(run(#"{{json "<a&b>"}} {{json 1.5}} {{json 1e21}} {{json .Z}} {{json .M}}"#, sample) ==
            #""<a&b>" 1.5 1e+21 null {"k":"v","b":2,"a":1}"#)
    }

    @Test func jsonKeepsSourceOrder() throws {
        let config = try TemplateValue(json: #"{"Hostname":"","Env":null,"Cmd":["/bin/sh"],"Labels":{"z":"1","a":"<2>"},"N":1984241,"F":0.5}"#)
        #expect(run("{{json .}}", config) == #"{"Hostname":"","Env":null,"Cmd":["/bin/sh"],"Labels":{"z":"1","a":"<2>"},"N":1984241,"F":0.5}"#)
        #expect(run("{{.Labels}} {{.N}} {{.Cmd}}", config) == "map[a:<2> z:1] 1984241 [/bin/sh]")
    }
}

@Suite struct TemplateErrors {
    @Test func parseErrorsMatchGo() {
        #expect(run("{{.Foo") == "ERR template: :1: unclosed action")
        #expect(run("{{foo}}") == "ERR template: :1: function \"foo\" not defined")
        #expect(run("{{if}}") == "ERR template: :1: missing value for if")
        #expect(run("{{.ID}") == "ERR template: :1: bad character U+007D '}'")
        #expect(run("{{end}}") == "ERR template: :1: unexpected {{end}}")
        #expect(run("{{\"abc}}") == "ERR template: :1: unterminated quoted string")
        #expect(run("{{$x}}") == "ERR template: :1: undefined variable \"$x\"")
        #expect(run("{{(1}}") == "ERR template: :1: unclosed left paren")
        #expect(run("{{if .ID}}") == "ERR template: :1: unexpected EOF")
        #expect(run("a\n{{.Foo\n") == "ERR template: :3: unclosed action started at :2")
        let error = try? #require(throws: TemplateError.self) { try Template("{{.Foo") }
        #expect(error?.kind == .parse)
    }

    @Test func executionErrorsMatchGo() {
        #expect(run("{{.Nope}}", imageRow) ==
            "ERR template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext")
        #expect(run("{{.ID}}{{.Nope}}", imageRow).hasPrefix("ERR template: :1:9: executing \"\" at <.Nope>"))
        #expect(run("{{range .ID}}x{{end}}", imageRow) ==
            "ERR template: :1:8: executing \"\" at <.ID>: range can't iterate over 9aa0521c58b1")
        #expect(run("{{.ID.Foo}}", imageRow) ==
            "ERR template: :1:5: executing \"\" at <.ID.Foo>: can't evaluate field Foo in type string")
        #expect(run("{{json}}") == "ERR template: :1:2: executing \"\" at <json>: wrong number of args for json: want 1 got 0")
        #expect(run("{{1 2}}") == "ERR template: :1:2: executing \"\" at <1>: can't give argument to non-function 1")
        #expect(run("{{eq 1 1.0}}") == "ERR template: :1:2: executing \"\" at <eq 1 1.0>: error calling eq: incompatible types for comparison")
        // docker inspect's raw-JSON fallback (missingkey=error on map[string]interface{})
        let inspect: TemplateValue = ["Id": "sha256:9a", "Config": ["Cmd": ["/bin/sh"], "Env": nil], "RepoTags": ["a:b"]]
        #expect(run("{{.Nope}}", inspect, missingKey: .error) ==
            "ERR template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"")
        #expect(run("{{.Config.Nope}}", inspect, missingKey: .error) ==
            "ERR template: :1:9: executing \"\" at <.Config.Nope>: map has no entry for key \"Nope\"")
        #expect(run("{{.Config.Cmd.Foo}}", inspect, missingKey: .error) ==
            "ERR template: :1:9: executing \"\" at <.Config.Cmd.Foo>: can't evaluate field Foo in type interface {}")
        #expect(run("{{index .Config.Env 0}}", inspect) ==
            "ERR template: :1:2: executing \"\" at <index .Config.Env 0>: error calling index: index of untyped nil")
        #expect(run("{{slice \"hello\" 1 3}} {{index .RepoTags 0}} {{index .RepoTags 5}}", inspect) ==
            "ERR template: :1:46: executing \"\" at <index .RepoTags 5>: error calling index: index out of range: 5")
        #expect(DockerFormat.errorMessage(TemplateError(kind: .parse, message: "template: :1: unclosed action")) ==
            "template parsing error: template: :1: unclosed action")
    }

    @Test func partialOutputIsKeptOnRequest() {
        var out = ""
        #expect(throws: TemplateError.self) { try Template("ab{{.X.Y}}").execute(1, into: &out) }
        #expect(out == "ab")
    }
}
