import ArgumentParser
import DockerViews
import Format
import Foundation
import ImageService
import Store

/// The machine facts `version` and `info` report (read here: they are about this process and host, not images).
enum HostFacts {
    static let strataVersion = "0.1.0"
    static let apiVersion = "1.41"

    /// uname(2): the machine (`x86_64`) and the kernel release.
    private static let unameFields: (machine: String, release: String) = {
        var name = utsname()
        uname(&name)
        func text<T>(_ field: inout T) -> String {
            withUnsafeBytes(of: &field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return (text(&name.machine), text(&name.release))
    }()

    static var architecture: String { unameFields.machine }
    static var kernelVersion: String { unameFields.release }

    static var hostname: String { ProcessInfo.processInfo.hostName }

    /// `PRETTY_NAME` of /etc/os-release, as dockerd reports the operating system.
    static var operatingSystem: String {
        let text = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return "Linux"
    }

    /// Go's GOARCH for this machine.
    static var goArch: String {
        switch architecture {
        case "x86_64": "amd64"
        case "aarch64": "arm64"
        default: architecture
        }
    }

    static func renderFormat(_ format: String, _ value: TemplateValue) throws -> String {
        do {
            let template = try Template(DockerFormat.prepare(format).template)
            return try template.execute(value) + "\n"
        } catch {
            throw CLIError(message: DockerFormat.errorMessage(error), code: DockerFormat.exitCode(error, isInspect: false))
        }
    }
}

struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Show the Strata version information",
        discussion: """
            Example:
              strata version --format '{{.Client.Version}}'
            """)

    @Option(name: [.customShort("f"), .customLong("format")], help: "Format the output using the given Go template") var format: String?

    func run() async throws {
        func side(_ typeName: String, extra: [TemplateStruct.Field] = []) -> TemplateValue {
            .structure(TemplateStruct(typeName: typeName, fields: [
                .init("Version", .string(HostFacts.strataVersion)),
                .init("APIVersion", .string(HostFacts.apiVersion), jsonName: "ApiVersion"),
                .init("GitCommit", .string("")),
                .init("Os", .string("linux")),
                .init("Arch", .string(HostFacts.goArch)),
                .init("KernelVersion", .string(HostFacts.kernelVersion)),
            ] + extra))
        }
        let client = side("command.clientVersion", extra: [.init("Context", .string("default")), .init("Experimental", .bool(true))])
        let server = side("types.Version")
        let document = TemplateValue.structure(TemplateStruct(typeName: "command.versionInfo", fields: [
            .init("Client", client), .init("Server", server),
        ]))
        if let format, !format.isEmpty {
            Output.write(try HostFacts.renderFormat(format, document))
            return
        }
        Output.write("""
            Client:
             Version:           \(HostFacts.strataVersion)
             API version:       \(HostFacts.apiVersion)
             OS/Arch:           linux/\(HostFacts.goArch)
             Context:           default
             Experimental:      true

            Server: Strata (daemonless)
             Engine:
              Version:          \(HostFacts.strataVersion)
              API version:      \(HostFacts.apiVersion)
              OS/Arch:          linux/\(HostFacts.goArch)

            """)
    }
}

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Display system-wide information",
        discussion: """
            Example:
              strata info --format '{{.Images}} images in {{.DockerRootDir}}'
            """)

    @Option(name: [.customShort("f"), .customLong("format")], help: "Format the output using the given Go template") var format: String?

    func run() async throws {
        let store = try GlobalOptions.openStore()
        let images = try store.images().filter { !$0.isIndexEntry || !$0.repoTags.isEmpty }.count
        let containers = try GlobalOptions.service().containers(measuringSizes: false)
        let running = containers.filter(\.isRunning).count
        let stopped = containers.count - running
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let memory = Int64(ProcessInfo.processInfo.physicalMemory)
        let document = TemplateValue.structure(TemplateStruct(typeName: "types.Info", fields: [
            .init("ID", .string("")),
            .init("Containers", .int(Int64(containers.count))), .init("ContainersRunning", .int(Int64(running))),
            .init("ContainersPaused", .int(0)), .init("ContainersStopped", .int(Int64(stopped))),
            .init("Images", .int(Int64(images))),
            .init("Driver", .string("overlay")),
            .init("KernelVersion", .string(HostFacts.kernelVersion)),
            .init("OperatingSystem", .string(HostFacts.operatingSystem)),
            .init("OSType", .string("linux")),
            .init("Architecture", .string(HostFacts.architecture)),
            .init("NCPU", .int(Int64(cpus))),
            .init("MemTotal", .int(memory)),
            .init("DockerRootDir", .string(store.root.path)),
            .init("Name", .string(HostFacts.hostname)),
            .init("ServerVersion", .string(HostFacts.strataVersion)),
            .init("Debug", .bool(false)),
        ]))
        if let format, !format.isEmpty {
            Output.write(try HostFacts.renderFormat(format, document))
            return
        }
        Output.write("""
            Client:
             Context:    default
             Debug Mode: false

            Server:
             Containers: \(containers.count)
              Running: \(running)
              Paused: 0
              Stopped: \(stopped)
             Images: \(images)
             Server Version: \(HostFacts.strataVersion)
             Storage Driver: overlay
             Kernel Version: \(HostFacts.kernelVersion)
             Operating System: \(HostFacts.operatingSystem)
             OSType: linux
             Architecture: \(HostFacts.architecture)
             CPUs: \(cpus)
             Total Memory: \(HumanUnits.bytesSize(Double(memory)))
             Name: \(HostFacts.hostname)
             Docker Root Dir: \(store.root.path)
             Debug Mode: false

            """)
    }
}
