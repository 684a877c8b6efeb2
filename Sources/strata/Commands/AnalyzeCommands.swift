import Analyze
import ArgumentParser
import DockerViews
import Foundation
import ImageService
import Scan

/// `strata image analyze`: dive's layer efficiency, read from the store without unpacking, and a CI gate.
struct ImageAnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Show each layer's changes, wasted space and the image's efficiency (as dive measures them)",
        discussion: """
            Examples:
              strata image analyze debian:12
              strata image analyze --ci --lowest-efficiency 0.95 --highest-wasted-bytes 20MB myapp:latest
              strata image analyze --format json myapp:latest

            With --ci the thresholds come from the flags, else from the dive CI file (.dive-ci in the current directory, or --ci-config FILE), else dive's defaults (lowestEfficiency 0.9, highestUserWastedPercent 0.1); a value of "disabled" turns a rule off. The command exits 1 when a rule fails.
            """)

    @Option(help: "Output format: table or json") var format: String = "table"
    @Flag(help: "Evaluate the CI rules and exit 1 when one fails") var ci = false
    @Option(name: .customLong("ci-config"), help: "The dive CI rules file (default .dive-ci when present)") var ciConfig: String?
    @Option(name: .customLong("lowest-efficiency"), help: "Lowest allowed efficiency, 0 to 1 (or \"disabled\")") var lowestEfficiency: String?
    @Option(name: .customLong("highest-wasted-bytes"), help: "Most wasted bytes allowed, like 20MB (or \"disabled\")") var highestWastedBytes: String?
    @Option(name: .customLong("highest-user-wasted-percent"), help: "Most wasted bytes relative to the bytes above the base layer, 0 to 1 (or \"disabled\")")
    var highestUserWastedPercent: String?
    @Option(name: .customLong("top"), help: "How many inefficient files to list") var top: Int = 20
    @Argument(help: "IMAGE") var image: String

    func run() async throws {
        guard format == "table" || format == "json" else {
            throw CLIError(message: "Error: unknown format \(format) (table or json)", code: 1)
        }
        guard top >= 0 else { throw CLIError(message: "Error: --top must not be negative", code: 1) }
        var gate: CIGate?
        if ci || ciConfig != nil || lowestEfficiency != nil || highestWastedBytes != nil || highestUserWastedPercent != nil {
            var settings = CIRuleSettings()
            let configPath = ciConfig ?? (FileManager.default.fileExists(atPath: ".dive-ci") ? ".dive-ci" : nil)
            do {
                if let configPath {
                    guard let data = FileManager.default.contents(atPath: configPath) else {
                        throw CLIError(message: "Error: cannot read the CI rules file \(configPath)", code: 1)
                    }
                    settings = try CIRuleSettings.parse(diveCI: String(decoding: data, as: UTF8.self))
                }
                gate = try CIGate(settings.overriding(lowestEfficiency: lowestEfficiency, highestWastedBytes: highestWastedBytes,
                                                      highestUserWastedPercent: highestUserWastedPercent))
            } catch let error as AnalyzeError {
                throw CLIError(message: "Error: \(error)", code: 1)
            }
        }
        let service = try GlobalOptions.service()
        let result: (subject: ScannedImage, analysis: ImageAnalysis)
        do {
            result = try await service.analyze(image, options: AnalysisOptions(topCount: top))
        } catch {
            throw RuntimeErrorText.daemon(error, name: image)
        }
        let evaluation = ci || gate != nil ? gate.map { $0.evaluate(result.analysis) } : nil
        let id = result.subject.imageID.description
        Output.write(format == "json"
            ? try ImageAnalysisView.json(name: image, imageID: id, analysis: result.analysis, evaluation: evaluation)
            : ImageAnalysisView.render(name: image, imageID: id, analysis: result.analysis, evaluation: evaluation))
        if let evaluation, !evaluation.passed { throw ExitCode(1) }
    }
}

/// `strata image diff`: what changed between two images, files and packages.
struct ImageDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the files and packages added, removed and changed between two images",
        discussion: "Example: strata image diff debian:12.4 debian:12.5")

    @Option(help: "Output format: table or json") var format: String = "table"
    @Argument(help: "IMAGE1") var old: String
    @Argument(help: "IMAGE2") var new: String

    func run() async throws {
        guard format == "table" || format == "json" else {
            throw CLIError(message: "Error: unknown format \(format) (table or json)", code: 1)
        }
        let service = try GlobalOptions.service()
        let comparison: ImageComparison
        do {
            comparison = try await service.diff(old, new)
        } catch {
            throw RuntimeErrorText.daemon(error)
        }
        Output.write(format == "json"
            ? try ImageDiffView.json(old: old, new: new, files: comparison.files, packages: comparison.packages)
            : ImageDiffView.render(old: old, new: new, files: comparison.files, packages: comparison.packages))
    }
}
