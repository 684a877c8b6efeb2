import Testing
@testable import Format

private let imageHeaders = ["ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
                            "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
                            "Containers": "CONTAINERS", "VirtualSize": "VIRTUAL SIZE", "SharedSize": "SHARED SIZE",
                            "UniqueSize": "UNIQUE SIZE"]

private func row(_ repo: String, _ tag: String, _ id: String, _ created: String, _ size: String) -> TemplateValue {
    .structure(.formatterContext(typeName: "*formatter.imageContext", fields: [
        ("ID", id), ("Repository", repo), ("Tag", tag), ("Digest", "<none>"), ("CreatedSince", created), ("Size", size),
    ]))
}

private let rows = [
    row("local/busybox", "latest", "9aa0521c58b1", "6 minutes ago", "1.98MB"),
    row("<none>", "<none>", "8ea0dbdea462", "2 seconds ago", "1.98MB"),
]

@Suite struct RendererTests {
    static let defaultTable = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"

    @Test func defaultImagesTable() throws {
        let renderer = try FormatRenderer(format: Self.defaultTable, headers: imageHeaders)
        #expect(try renderer.render(rows: Array(rows.prefix(1))) == """
            REPOSITORY      TAG       IMAGE ID       CREATED         SIZE
            local/busybox   latest    9aa0521c58b1   6 minutes ago   1.98MB

            """)
        #expect(try renderer.render(rows: []) == "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n")
    }

    @Test func userFormats() throws {
        // literal backslash-t / backslash-n become tab / newline (docker's Format pre-processing)
        #expect(try FormatRenderer(format: #"{{.ID}}\t{{.Tag}}"#).render(rows: rows) == "9aa0521c58b1\tlatest\n8ea0dbdea462\t<none>\n")
        #expect(try FormatRenderer(format: #"table {{.Repository}}\t{{.Tag}}"#, headers: imageHeaders).render(rows: rows) ==
            "REPOSITORY      TAG\nlocal/busybox   latest\n<none>          <none>\n")
        #expect(try FormatRenderer(format: #"table {{.ID}}\t{{pad .Tag 1 2}}|{{upper .Repository}}"#, headers: imageHeaders)
            .render(rows: Array(rows.prefix(1))) == "IMAGE ID        TAG  |REPOSITORY\n9aa0521c58b1    latest  |LOCAL/BUSYBOX\n")
        #expect(try FormatRenderer(format: "  {{.ID}}  ").render(rows: Array(rows.prefix(1))) == "9aa0521c58b1\n")
        // header rendering fails for {{json .}} (json wants a string): docker prints an empty header line
        #expect(try FormatRenderer(format: "table {{json .ID}}", headers: imageHeaders).render(rows: []) == "IMAGE ID\n")
        #expect(try FormatRenderer(format: "table {{json .}}", headers: imageHeaders).render(rows: Array(rows.prefix(1)))
            .hasPrefix("\n{\"CreatedSince\":\"6 minutes ago\",\"Digest\":\"\\u003cnone\\u003e\""))
        #expect(try FormatRenderer(format: "json").render(rows: Array(rows.prefix(1))).hasPrefix("{\"CreatedSince\":"))
        #expect(try FormatRenderer(format: "json", jsonKeyword: false).render(rows: rows) == "json\njson\n")
        #expect(throws: TemplateError.self) { try FormatRenderer(format: "{{.Nope}}").render(rows: rows) }
    }

    @Test func errorReporting() {
        do {
            _ = try FormatRenderer(format: "{{.Nope}}").render(rows: rows)
        } catch {
            #expect(DockerFormat.errorMessage(error) ==
                "template parsing error: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext")
            #expect(DockerFormat.exitCode(error, isInspect: false) == 1)
        }
        do {
            _ = try FormatRenderer(format: "{{.Foo")
        } catch {
            #expect(DockerFormat.exitCode(error, isInspect: true) == 64)
            #expect(DockerFormat.exitCode(error, isInspect: false) == 1)
        }
    }

    @Test func tabWriterMatchesGo() {
        #expect(TabWriter.format("a\tb\tc\naaaa\tbbbbbbbbbbbb\tc\n") == "a         b              c\naaaa      bbbbbbbbbbbb   c\n")
        // a line with a single cell ends the column block
        #expect(TabWriter.format("aaaaaaaaaaaaa\tb\nx\nc\td\n") == "aaaaaaaaaaaaa   b\nx\nc         d\n")
        // trailing cell without newline is flushed as is
        #expect(TabWriter.format("a\tb") == "a         b")
        var w = TabWriter(minWidth: 0, tabWidth: 8, padding: 1, padChar: ".", options: [.alignRight])
        w.write("a\tbbb\t\nccc\td\t\n")
        #expect(w.flush() == "...a.bbb\n.ccc...d\n")
        #expect(TabWriter.format("é\tx\nab\ty\n", using: TabWriter(minWidth: 0, tabWidth: 8, padding: 1, padChar: " ")) == "é  x\nab y\n")
    }

    /// Timing lives in bench/run (`images`); this checks that 10,000 rows render completely and align.
    @Test func manyRowsRenderCompletely() throws {
        let renderer = try FormatRenderer(format: #"{{.Repository}}\t{{.Tag}}"#)
        let many = Array(repeating: rows[0], count: 10_000)
        let output = try renderer.render(rows: many)
        #expect(output.utf8.count == 10_000 * "local/busybox\tlatest\n".utf8.count)
        let table = try FormatRenderer(format: "table " + #"{{.Repository}}\t{{.Tag}}"#, headers: imageHeaders)
        let lines = try table.render(rows: many).split(separator: "\n")
        #expect(lines.count == 10_001)
        #expect(Set(lines.dropFirst()).count == 1)
    }
}

@Suite struct UnitsAndTime {
    @Test func humanSizes() {
        #expect(HumanUnits.humanSize(1_984_241, precision: 3) == "1.98MB")
        #expect(HumanUnits.humanSize(1_984_241) == "1.984MB")
        #expect(HumanUnits.humanSize(198_900_000, precision: 3) == "199MB")
        #expect(HumanUnits.humanSize(198_900_000) == "198.9MB")
        #expect(HumanUnits.humanSize(0) == "0B")
        #expect(HumanUnits.humanSize(5580) == "5.58kB")
        #expect(HumanUnits.humanSize(999) == "999B")
        #expect(HumanUnits.humanSize(1_000_000) == "1MB")
        #expect(HumanUnits.humanSize(123_456_789_012) == "123.5GB")
        #expect(HumanUnits.bytesSize(1024) == "1KiB")
        #expect(HumanUnits.bytesSize(1536 * 1024) == "1.5MiB")
        #expect(HumanUnits.bytesSize(44 * 1024 + 100) == "44.1KiB")
    }

    @Test func humanDurations() {
        #expect(HumanUnits.humanDuration(seconds: 0.5) == "Less than a second")
        #expect(HumanUnits.humanDuration(seconds: 1) == "1 second")
        #expect(HumanUnits.humanDuration(seconds: 20) == "20 seconds")
        #expect(HumanUnits.humanDuration(seconds: 61) == "About a minute")
        #expect(HumanUnits.humanDuration(seconds: 4 * 60 + 30) == "4 minutes")
        #expect(HumanUnits.humanDuration(seconds: 3600 + 1700) == "About an hour")
        #expect(HumanUnits.humanDuration(seconds: 2 * 3600) == "2 hours")
        #expect(HumanUnits.humanDuration(seconds: 3 * 86400) == "3 days")
        #expect(HumanUnits.humanDuration(seconds: 15 * 86400) == "2 weeks")
        #expect(HumanUnits.humanDuration(seconds: 100 * 86400) == "3 months")
        #expect(HumanUnits.humanDuration(seconds: 800 * 86400) == "2 years")
        #expect(HumanUnits.createdSince(created: 1000, now: 1002) == "2 seconds ago")
    }

    @Test func goTimeLayouts() throws {
        let t = try #require(GoTime(rfc3339: "2026-11-26T16:05:40.571074085Z"))
        #expect(t.rfc3339Nano == "2026-11-26T16:05:40.571074085Z")
        #expect(t.goString == "2026-11-26 16:05:40.571074085 +0000 UTC")
        #expect(GoTime(seconds: t.seconds).goString == "2026-11-26 16:05:40 +0000 UTC")
        #expect(GoTime(rfc3339: "2024-01-02T15:04:05.120Z")?.rfc3339Nano == "2024-01-02T15:04:05.12Z")
        #expect(GoTime(rfc3339: "2024-01-02T15:04:05+01:30")?.utc.goString == "2024-01-02 13:34:05 +0000 UTC")
        #expect(GoTime(rfc3339: "1969-12-31T23:59:59Z")?.seconds == -1)
        #expect(GoTime(seconds: 0).goString == "1970-01-01 00:00:00 +0000 UTC")
        #expect(GoTime(seconds: -62_135_596_800).goString == "0001-01-01 00:00:00 +0000 UTC")
        #expect(GoTime(rfc3339: "garbage") == nil)
    }

    @Test func goFloatFormatting() {
        #expect(GoFloat.format(0, verb: "g", precision: -1) == "0")
        #expect(GoFloat.format(0, verb: "g", precision: 3) == "0")
        #expect(GoFloat.format(1234567, verb: "g", precision: -1) == "1.234567e+06")
        #expect(GoFloat.format(0.0001, verb: "g", precision: -1) == "0.0001")
        #expect(GoFloat.format(100, verb: "g", precision: 3) == "100")
        #expect(GoFloat.format(1000, verb: "g", precision: 3) == "1e+03")
        #expect(GoFloat.json(1e-7) == "1e-7")
        #expect(GoFloat.json(123456789.0) == "123456789")
        #expect(GoFloat.json(0.1) == "0.1")
    }
}
