import ArgumentParser
import Foundation
import ImageService
import Registry

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to a Docker registry",
        usage: "strata login [OPTIONS] [SERVER]",
        discussion: """
            The credentials are checked against the registry first, then saved where docker keeps them:
            a credential helper when config.json names one (credsStore/credHelpers), else config.json
            ($DOCKER_CONFIG or ~/.docker, mode 0600). With no SERVER, Docker Hub.

            Examples:
              echo "$TOKEN" | strata login --username ci --password-stdin 127.0.0.1:5000
              strata login -u alice 127.0.0.1:5000        # asks for the password
            """)

    @Option(name: [.customShort("u"), .customLong("username")], help: "Username") var username: String?
    @Option(name: [.customShort("p"), .customLong("password")], help: "Password") var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Take the password from stdin") var passwordStdin = false
    @Flag(name: .customLong("verbose"), help: "Log every HTTP exchange to stderr (credentials redacted)") var verbose = false
    @Argument(help: "SERVER") var servers: [String] = []

    func run() async throws {
        try UsageErrors.check(servers.count, .atMost(1))
        if password != nil {
            Output.error("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
            if passwordStdin { throw CLIError(message: "--password and --password-stdin are mutually exclusive") }
        }
        var password = self.password
        if passwordStdin {
            guard let username, !username.isEmpty else { throw CLIError(message: "Must provide --username with --password-stdin") }
            _ = username
            let data = FileHandle.standardInput.readDataToEndOfFile()
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r\n"))
        }
        let registry = RegistryHostName.registry(forLoginArgument: servers.first)
        let store = DockerCredentialStore()
        var username = self.username?.trimmingCharacters(in: .whitespaces)
        if username == nil && password == nil, let existing = try? store.credentials(for: registry) {
            Output.write("Authenticating with existing credentials...\n")
            if (try? await check(registry, existing)) != nil {
                Output.write("Login Succeeded\n")
                return
            }
        }
        if (username ?? "").isEmpty || (password ?? "").isEmpty, isatty(STDIN_FILENO) == 0 {
            throw CLIError(message: "Error: Cannot perform an interactive login from a non TTY device")
        }
        if username == nil || username!.isEmpty { username = try Self.prompt("Username: ", secret: false) }
        guard let user = username, !user.isEmpty else { throw CLIError(message: "Error: Non-null Username Required") }
        if password == nil || password!.isEmpty { password = try Self.prompt("Password: ", secret: true) }
        guard let secret = password, !secret.isEmpty else { throw CLIError(message: "Error: Password Required") }

        var credentials = RegistryCredentials(username: user, secret: secret)
        let identityToken: String?
        do {
            identityToken = try await check(registry, credentials)
        } catch {
            throw RuntimeErrorText.daemon(error)
        }
        if let identityToken {
            credentials = RegistryCredentials(username: user, secret: "", identityToken: identityToken)
        }
        do {
            let config = try DockerConfigFile().load()
            if store.helperName(for: registry, in: config) == nil {
                Output.error("""
                    WARNING! Your password will be stored unencrypted in \(DockerConfigFile().path).
                    Configure a credential helper to remove this warning. See
                    https://docs.docker.com/engine/reference/commandline/login/#credentials-store


                    """)
            }
            try store.store(credentials, for: registry)
        } catch {
            throw CLIError(message: "Error saving credentials: \(RuntimeErrorText.describe(error))")
        }
        Output.write("Login Succeeded\n")
    }

    private func check(_ registry: String, _ credentials: RegistryCredentials) async throws -> String? {
        try await GlobalOptions.service(verbose: verbose).withRegistry { client in
            try await client.checkLogin(registry: registry, credentials: credentials)
        }
    }

    /// Reads one line from the terminal (echo off for the password), as docker's prompt does; EOF is an error.
    static func prompt(_ label: String, secret: Bool) throws -> String {
        Output.write(label)
        var saved = termios()
        let isTerminal = isatty(STDIN_FILENO) == 1
        if secret && isTerminal {
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        defer {
            if secret && isTerminal {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                Output.write("\n")
            }
        }
        guard let line = readLine(strippingNewline: true) else { throw CLIError(message: "EOF") }
        return line.trimmingCharacters(in: .whitespaces)
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Log out from a Docker registry",
        usage: "strata logout [SERVER]",
        discussion: "Example: strata logout 127.0.0.1:5000")

    @Argument(help: "SERVER") var servers: [String] = []

    func run() async throws {
        try UsageErrors.check(servers.count, .atMost(1))
        let registry = RegistryHostName.registry(forLoginArgument: servers.first)
        Output.write("Removing login credentials for \(RegistryHostName.configKey(forRegistry: registry))\n")
        do {
            try DockerCredentialStore().erase(for: registry)
        } catch {
            Output.error("WARNING: could not erase credentials: \(RuntimeErrorText.describe(error))\n")
        }
    }
}
