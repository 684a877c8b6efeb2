import DockerViews
import Format
import Foundation

/// Runs a docker-style `--format` over rows and maps template errors to docker's message and exit code.
enum Rendering {
    static func render<Rows: Sequence>(format: String?, defaultFormat: String, headers: [String: String], rows: Rows,
                                       isInspect: Bool = false) throws -> String where Rows.Element == TemplateValue {
        var chosen = format ?? ""
        if chosen.isEmpty || chosen == "table" { chosen = defaultFormat }
        do {
            return try FormatRenderer(format: chosen, headers: headers).render(rows: rows)
        } catch {
            throw CLIError(message: DockerFormat.errorMessage(error), code: DockerFormat.exitCode(error, isInspect: isInspect))
        }
    }

    /// Parses `--filter` values; a value without `=` is a flag error, worded as cobra words it.
    static func filters(_ arguments: [String], flag: String = "-f, --filter") throws -> FilterArguments {
        do {
            return try FilterArguments(arguments)
        } catch {
            throw CLIError(message: "invalid argument \"\(error.argument ?? "")\" for \"\(flag)\" flag: \(error)\n"
                                    + "See 'strata \(GlobalOptions.commandPath) --help'.", code: 125)
        }
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }
}
