/// Renders docker-style `--format` output for list commands (`docker images`, `ps`, ...), following
/// docker CLI's `formatter.Context` (cli/command/formatter/formatter.go):
///
/// - `table <tmpl>`: the template runs once per row; then it runs again with the header functions over
///   `headers` (errors there are ignored and partial output kept), and header + rows go through
///   `TabWriter.docker` (minwidth 10, tabwidth 1, padding 3, pad ' ').
/// - `json` (docker ≥ 23 only; 20.10 prints the word itself per row): becomes `{{json .}}`.
/// - anything else: each row's output followed by "\n".
///
/// Before parsing, docker strips the `table` prefix, trims spaces (only ' ') at both ends, and turns the
/// two-character sequences `\t` and `\n` into a tab and a newline.
/// A row failing stops everything: nothing is printed and the error is thrown.
///
/// Observed with docker 20.10.24 (`/usr/bin/docker`):
/// ```
/// $ docker images --format '{{.Foo'        → stderr "template parsing error: template: :1: unclosed action", exit 1
/// $ docker images --format '{{foo}}'       → stderr "template parsing error: template: :1: function \"foo\" not defined", exit 1
/// $ docker images --format '{{.Nope}}'     → stderr "template parsing error: template: :1:2: executing \"\" at <.Nope>:
///                                               can't evaluate field Nope in type *formatter.imageContext", exit 1, stdout empty
/// $ docker inspect --format '{{.Foo' IMG   → same parse message, exit 64
/// $ docker inspect --format '{{.Nope}}' IMG → stdout "\n", stderr "template parsing error: template: :1:2: executing \"\"
///                                               at <.Nope>: map has no entry for key \"Nope\"", exit 1
/// ```
public struct FormatRenderer: Sendable {
    public let isTable: Bool
    public let template: Template
    public let headers: [String: String]

    /// - Parameters:
    ///   - format: the user's `--format` value (after the CLI substituted its default for "table").
    ///   - headers: column headers keyed by field name, e.g. `["ID": "IMAGE ID", "Repository": "REPOSITORY"]`.
    ///   - jsonKeyword: treat a bare `json` as `{{json .}}` (docker 23+); false reproduces 20.10.
    public init(format: String, headers: [String: String] = [:], jsonKeyword: Bool = true) throws(TemplateError) {
        let prepared = DockerFormat.prepare(format, jsonKeyword: jsonKeyword)
        isTable = prepared.isTable
        template = try Template(prepared.template)
        self.headers = headers
    }

    /// Renders all rows; returns the exact text docker would write to stdout.
    public func render<Rows: Sequence>(rows: Rows) throws(TemplateError) -> String where Rows.Element == TemplateValue {
        guard isTable else {
            var body = ""
            for row in rows {
                try template.execute(row, into: &body)
                body += "\n"
            }
            return body
        }
        // Rows go straight into the tab writer, so a lazy sequence never holds every row value at once.
        var writer = TabWriter.docker
        writer.write(headerLine())
        writer.write("\n")
        var line = ""
        for row in rows {
            line.removeAll(keepingCapacity: true)
            try template.execute(row, into: &line)
            line += "\n"
            writer.write(line)
        }
        return writer.flush()
    }

    /// The header row text before alignment (docker ignores errors here and keeps what was written).
    public func headerLine() -> String {
        let headerValue = TemplateValue.map(TemplateMap(headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) },
                                                        typeName: "formatter.SubHeaderContext"))
        var line = ""
        try? template.execute(headerValue, into: &line, functions: .dockerHeader)
        return line
    }
}

/// Helpers reproducing docker CLI's format handling and error output.
public enum DockerFormat {
    /// docker's pre-processing: strip `table`, map `json`, trim ' ', expand `\t` and `\n` escapes.
    public static func prepare(_ format: String, jsonKeyword: Bool = true) -> (isTable: Bool, template: String) {
        if jsonKeyword && format == "json" { return (false, "{{json .}}") }
        var text = Substring(format)
        let isTable = text.hasPrefix("table")
        if isTable { text = text.dropFirst("table".count) }
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        var out = ""
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let scalar = pending {
            pending = iterator.next()
            if scalar == "\\", let next = pending, next == "t" || next == "n" {
                out += next == "t" ? "\t" : "\n"
                pending = iterator.next()
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return (isTable, out)
    }

    /// What docker prints on stderr for a template error: `template parsing error: <go error>`
    /// (docker uses this prefix for execution errors too).
    public static func errorMessage(_ error: TemplateError) -> String {
        "template parsing error: " + error.message
    }

    /// Exit status docker 20.10 uses: `docker inspect` parse errors exit 64; every other template error exits 1.
    public static func exitCode(_ error: TemplateError, isInspect: Bool) -> Int32 {
        isInspect && error.kind == .parse ? 64 : 1
    }
}
