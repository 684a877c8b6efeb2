import ArgumentParser

/// `strata image …`: docker's management-command spellings of the image commands.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Manage images",
        subcommands: [ImageListCommand.self, ImageRemoveCommand.self, ImageInspectCommand.self, HistoryCommand.self,
                      ImportCommand.self, TagCommand.self, ImagePruneCommand.self, SaveCommand.self, LoadCommand.self,
                      UnpackCommand.self, PullCommand.self, PushCommand.self, BuildCommand.self,
                      ImageAnalyzeCommand.self, ImageDiffCommand.self])
}

struct ImageListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images", aliases: ["list"])
    @OptionGroup var options: ImagesCommand
    func run() async throws { try await options.run() }
}

struct ImageRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more images",
                                                    aliases: ["remove"])
    @OptionGroup var options: RmiCommand
    func run() async throws { try await options.run() }
}

struct ImageInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect",
                                                    abstract: "Display detailed information on one or more images")
    @OptionGroup var options: InspectCommand
    func run() async throws {
        var command = options
        command.imageOnly = true
        try await command.run()
    }
}

/// `strata system …`: disk usage and the store's self-check.
struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system",
        abstract: "Manage Strata",
        subcommands: [DiskUsageCommand.self, CheckCommand.self, EventsCommand.self, SystemPruneCommand.self, InfoCommand.self])
}
