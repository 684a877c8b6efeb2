import Foundation
import Format
import GoText
import OCI
import Store

/// `docker image inspect`: the Engine API's `types.ImageInspect`, as a Go struct for templates and as
/// the JSON docker prints.
public enum InspectView {
    public static func document(image: StoredImage, config: ImageConfig) -> TemplateStruct {
        typealias F = TemplateStruct.Field
        let created = config.created.map { GoTime(seconds: $0.seconds, nanoseconds: $0.nanoseconds).rfc3339Nano } ?? ""
        let lastTag = image.lastTagTime.flatMap { GoTime(rfc3339: $0) } ?? GoTime(seconds: Timestamp.goZero.seconds)
        let fields: [F] = [
            F("Id", .string(image.id.description), typeName: "string"),
            F("RepoTags", strings(image.repoTags.map(\.familiarString), emptyIsNil: false), typeName: "[]string"),
            F("RepoDigests", strings(image.repoDigests.map(\.familiarString), emptyIsNil: false), typeName: "[]string"),
            F("Parent", .string(config.parent ?? ""), typeName: "string"),
            F("Comment", .string(config.comment ?? ""), typeName: "string"),
            F("Created", .string(created), typeName: "string"),
            F("Container", .string(config.container ?? ""), typeName: "string"),
            F("ContainerConfig", containerConfig(config.containerConfig ?? ContainerConfig()), typeName: "*container.Config"),
            F("DockerVersion", .string(config.dockerVersion ?? ""), typeName: "string"),
            F("Author", .string(config.author ?? ""), typeName: "string"),
            F("Config", config.config.map(containerConfig) ?? .typedNil(.pointer, typeName: "*container.Config"),
              typeName: "*container.Config"),
            F("Architecture", .string(config.architecture), typeName: "string"),
            F("Variant", .string(config.variant ?? ""), typeName: "string", omitEmpty: true),
            F("Os", .string(config.os), typeName: "string"),
            F("OsVersion", .string(config.osVersion ?? ""), typeName: "string", omitEmpty: true),
            F("Size", .int(image.size), typeName: "int64"),
            F("VirtualSize", .int(image.size), typeName: "int64"),
            F("GraphDriver", .structure(TemplateStruct(typeName: "types.GraphDriverData", fields: [
                F("Data", .typedNil(.map, typeName: "map[string]string"), typeName: "map[string]string"),
                F("Name", .string("strata"), typeName: "string"),
            ])), typeName: "types.GraphDriverData"),
            F("RootFS", .structure(TemplateStruct(typeName: "types.RootFS", fields: [
                F("Type", .string(config.rootfs.type), typeName: "string"),
                F("Layers", strings(config.rootfs.diffIDs.map(\.description), emptyIsNil: true), typeName: "[]string",
                  omitEmpty: true),
                F("BaseLayer", .string(""), typeName: "string", omitEmpty: true),
            ])), typeName: "types.RootFS"),
            F("Metadata", .structure(TemplateStruct(typeName: "types.ImageMetadata", fields: [
                F("LastTagTime", .structure(.goTime(lastTag)), typeName: "time.Time", omitEmpty: true),
            ])), typeName: "types.ImageMetadata"),
        ]
        return TemplateStruct(typeName: "types.ImageInspect", fields: fields)
    }

    /// docker's `container.Config`, every field in declaration order with its JSON tag.
    static func containerConfig(_ config: ContainerConfig) -> TemplateValue {
        typealias F = TemplateStruct.Field
        let emptyObject = TemplateValue.structure(TemplateStruct(typeName: "struct {}", fields: []))
        func set(_ values: Set<String>?, typeName: String) -> TemplateValue {
            guard let values else { return .typedNil(.map, typeName: typeName) }
            return .map(TemplateMap(values.sorted().map { ($0, emptyObject) }, typeName: typeName, jsonKeyOrder: .sorted))
        }
        var healthcheck = TemplateValue.typedNil(.pointer, typeName: "*container.HealthConfig")
        if let check = config.healthcheck {
            healthcheck = .structure(TemplateStruct(typeName: "*container.HealthConfig", fields: [
                F("Test", strings(check.test ?? [], emptyIsNil: true), typeName: "[]string", omitEmpty: true),
                F("Interval", .int(check.interval ?? 0), typeName: "time.Duration", omitEmpty: true),
                F("Timeout", .int(check.timeout ?? 0), typeName: "time.Duration", omitEmpty: true),
                F("StartPeriod", .int(check.startPeriod ?? 0), typeName: "time.Duration", omitEmpty: true),
                F("Retries", .int(Int64(check.retries ?? 0)), typeName: "int", omitEmpty: true),
            ]))
        }
        let labels: TemplateValue = config.labels.map { labels in
            .map(TemplateMap(labels.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) },
                             typeName: "map[string]string", jsonKeyOrder: .sorted))
        } ?? .typedNil(.map, typeName: "map[string]string")
        return .structure(TemplateStruct(typeName: "*container.Config", fields: [
            F("Hostname", .string(config.hostname), typeName: "string"),
            F("Domainname", .string(config.domainname), typeName: "string"),
            F("User", .string(config.user), typeName: "string"),
            F("AttachStdin", .bool(config.attachStdin), typeName: "bool"),
            F("AttachStdout", .bool(config.attachStdout), typeName: "bool"),
            F("AttachStderr", .bool(config.attachStderr), typeName: "bool"),
            F("ExposedPorts", set(config.exposedPorts, typeName: "nat.PortSet"), typeName: "nat.PortSet", omitEmpty: true),
            F("Tty", .bool(config.tty), typeName: "bool"),
            F("OpenStdin", .bool(config.openStdin), typeName: "bool"),
            F("StdinOnce", .bool(config.stdinOnce), typeName: "bool"),
            F("Env", optionalStrings(config.env), typeName: "[]string"),
            F("Cmd", optionalStrings(config.cmd, typeName: "strslice.StrSlice"), typeName: "strslice.StrSlice"),
            F("Healthcheck", healthcheck, typeName: "*container.HealthConfig", omitEmpty: true),
            F("ArgsEscaped", .bool(config.argsEscaped), typeName: "bool", omitEmpty: true),
            F("Image", .string(config.image), typeName: "string"),
            F("Volumes", set(config.volumes, typeName: "map[string]struct {}"), typeName: "map[string]struct {}"),
            F("WorkingDir", .string(config.workingDir), typeName: "string"),
            F("Entrypoint", optionalStrings(config.entrypoint, typeName: "strslice.StrSlice"), typeName: "strslice.StrSlice"),
            F("NetworkDisabled", .bool(config.networkDisabled), typeName: "bool", omitEmpty: true),
            F("MacAddress", .string(config.macAddress ?? ""), typeName: "string", omitEmpty: true),
            F("OnBuild", optionalStrings(config.onBuild), typeName: "[]string"),
            F("Labels", labels, typeName: "map[string]string"),
            F("StopSignal", .string(config.stopSignal ?? ""), typeName: "string", omitEmpty: true),
            F("StopTimeout", config.stopTimeout.map { .int(Int64($0)) } ?? .typedNil(.pointer, typeName: "*int"),
              typeName: "*int", omitEmpty: true),
            F("Shell", optionalStrings(config.shell, typeName: "strslice.StrSlice"), typeName: "strslice.StrSlice",
              omitEmpty: true),
        ]))
    }

    static func strings(_ values: [String], emptyIsNil: Bool) -> TemplateValue {
        if values.isEmpty && emptyIsNil { return .typedNil(.slice, typeName: "[]string") }
        return .array(values.map { .string($0) })
    }

    static func optionalStrings(_ values: [String]?, typeName: String = "[]string") -> TemplateValue {
        guard let values else { return .typedNil(.slice, typeName: typeName) }
        return .array(values.map { .string($0) })
    }
}
