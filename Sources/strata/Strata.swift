import ArgumentParser

@main
struct Strata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A daemonless container-image toolkit.")
}
