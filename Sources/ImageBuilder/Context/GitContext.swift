#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GoText
import Sandbox

/// A git build context as docker writes it: `URL[#ref[:subdir]]`, where URL is `git://…`, `git@host:path`,
/// `github.com/org/repo` (fetched over https) or an http(s) URL ending in `.git`. The ref is a branch, a tag or a
/// commit (full or abbreviated), the remote's HEAD when omitted; subdir is the context directory in the repository.
///
/// User info in an http(s) URL never reaches git's argv: the URL git sees has none, and `user:password` is
/// sent as a Basic `Authorization` header configured through git's environment.
public struct GitContextSource: Sendable, Equatable {
    /// The repository URL given to git (no password, and for http(s) no user info at all).
    public let remote: String
    /// Branch, tag or commit; nil for the remote's HEAD.
    public let ref: String?
    /// The context directory inside the repository; nil for its root.
    public let subdirectory: String?
    /// The argument as shown in progress lines: a password (or an http(s) user, often a token) replaced by `xxxxx`.
    public let display: String
    /// The repository as errors name it: ``display`` without its fragment.
    public var shownRemote: String { String(display.prefix { $0 != "#" }) }
    /// `user:password` of an http(s) URL (percent-decoded), for the Authorization header.
    let basicCredentials: String?

    /// Parses `argument` when docker would take it as a git repository; nil otherwise.
    public init?(_ argument: String) {
        let isHTTP = argument.hasPrefix("http://") || argument.hasPrefix("https://")
        guard ["git://", "git@", "github.com/"].contains(where: argument.hasPrefix) || (isHTTP && Self.endsInGit(argument)) else {
            return nil
        }
        let hash = argument.firstIndex(of: "#")
        var location = String(argument[..<(hash ?? argument.endIndex)])
        let fragment = hash.map { String(argument[argument.index(after: $0)...]) } ?? ""
        if location.hasPrefix("github.com/") { location = "https://" + location }
        let colon = fragment.firstIndex(of: ":")
        let ref = String(fragment[..<(colon ?? fragment.endIndex)])
        let subdirectory = colon.map { String(fragment[fragment.index(after: $0)...]) } ?? ""
        self.ref = ref.isEmpty ? nil : ref
        self.subdirectory = subdirectory.isEmpty ? nil : subdirectory

        var credentials: String?
        var shown = argument
        if let schemeEnd = location.range(of: "://")?.upperBound {
            let authorityEnd = location[schemeEnd...].firstIndex(of: "/") ?? location.endIndex
            if let at = location[schemeEnd..<authorityEnd].lastIndex(of: "@") {
                let userInfo = String(location[schemeEnd..<at])
                let user = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let hasPassword = user.count == 2
                if location.hasPrefix("http") {
                    credentials = userInfo.removingPercentEncoding ?? userInfo
                    location = String(location[..<schemeEnd]) + location[location.index(after: at)...]
                } else if hasPassword {
                    location = String(location[..<schemeEnd]) + user[0] + location[at...]
                }
                shown = Self.redactingCredentials(argument)
            }
        }
        remote = location
        basicCredentials = credentials
        display = shown
    }

    /// BuildKit's `\.git(#.+)?$`: the URL ends in `.git`, or `.git#` and a fragment.
    static func endsInGit(_ url: String) -> Bool {
        var search = url.startIndex
        while let found = url.range(of: ".git", range: search..<url.endIndex) {
            let rest = url[found.upperBound...]
            if rest.isEmpty || (rest.first == "#" && rest.count > 1) { return true }
            search = url.index(after: found.lowerBound)
        }
        return false
    }

    /// `scheme://user:password@host…` with the password replaced by `xxxxx` (BuildKit's redaction); in an http(s)
    /// URL a user without a password is replaced too, since it is often a token (`https://TOKEN@github.com/…`).
    static func redactingCredentials(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://")?.upperBound else { return url }
        let authorityEnd = url[schemeEnd...].firstIndex(where: { $0 == "/" || $0 == "#" }) ?? url.endIndex
        guard let at = url[schemeEnd..<authorityEnd].lastIndex(of: "@") else { return url }
        if let colon = url[schemeEnd..<at].firstIndex(of: ":") { return String(url[...colon]) + "xxxxx" + url[at...] }
        return url.hasPrefix("http") ? String(url[..<schemeEnd]) + "xxxxx" + url[at...] : url
    }

    /// `scheme://host[:port]/` of an http(s) remote: what its Authorization header is scoped to.
    var credentialScope: String? {
        guard remote.hasPrefix("http"), let schemeEnd = remote.range(of: "://")?.upperBound else { return nil }
        let authorityEnd = remote[schemeEnd...].firstIndex(of: "/") ?? remote.endIndex
        return String(remote[..<authorityEnd]) + "/"
    }
}

/// A checkout of a ``GitContextSource`` in a scratch session, made the way BuildKit's git source makes one: git
/// runs with a clean environment (no system or user config, no terminal prompts, `LC_ALL=C`, umask 022, local
/// submodules refused), the ref is fetched shallow where the server allows it, submodules are updated with
/// `--init --recursive --depth=1`, and the checkout's `.git` is removed. Blocking: run it off the cooperative pool.
struct GitCheckout: Sendable {
    let source: GitContextSource
    let session: ScratchSession
    let environment: [String: String]

    init(source: GitContextSource, session: ScratchSession, proxyEnvironment: [String: String]) {
        self.source = source
        self.session = session
        let inherited = ProcessInfo.processInfo.environment
        var environment = [
            "PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "HOME": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
        ]
        if let agent = inherited["SSH_AUTH_SOCK"] { environment["SSH_AUTH_SOCK"] = agent }
        // The registry client's proxy choice (upper case first, as Go reads them); libcurl reads the lower-case names.
        for name in ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"] {
            if let value = proxyEnvironment[name] ?? proxyEnvironment[name.lowercased()], !value.isEmpty {
                environment[name.lowercased()] = value
            }
        }
        var settings = [("protocol.file.allow", "user")]
        if let credentials = source.basicCredentials, let scope = source.credentialScope {
            settings.append(("http.\(scope).extraHeader", "Authorization: Basic " + Data(credentials.utf8).base64EncodedString()))
        }
        environment["GIT_CONFIG_COUNT"] = String(settings.count)
        for (index, (key, value)) in settings.enumerated() {
            environment["GIT_CONFIG_KEY_\(index)"] = key
            environment["GIT_CONFIG_VALUE_\(index)"] = value
        }
        self.environment = environment
    }

    /// Fetches and checks out the ref; returns the context directory (the checkout, or its subdirectory).
    func run() throws -> String {
        guard let git = Self.executable(in: environment["PATH"] ?? "") else { throw RemoteContextError.gitMissing }
        let tree = session.path + "/checkout"
        try step("init", git, ["init", "-q", tree])
        try step("init", git, ["-C", tree, "remote", "add", "origin", source.remote])
        let commit = try fetch(git, in: tree)
        try step("checkout remote", git, ["-C", tree, "checkout", "-q", "--detach", commit])
        if access(tree + "/.gitmodules", F_OK) == 0 {
            try step("update submodules for", git, ["-C", tree, "submodule", "update", "--init", "--recursive", "--depth=1"])
        }
        try FileManager.default.removeItem(atPath: tree + "/.git")
        return try contextDirectory(in: tree)
    }

    /// Fetches the ref (the remote's HEAD without one), shallow first; returns the commit it names. A commit the
    /// server will not send alone (or an abbreviated one) is looked for among all branches and tags.
    private func fetch(_ git: String, in tree: String) throws -> String {
        let wanted = source.ref ?? "HEAD"
        guard !wanted.hasPrefix("-") else { throw RemoteContextError.unknownRef(wanted, message: "") }
        let shallow = try invoke(git, ["-C", tree, "fetch", "-q", "--depth=1", "--no-tags", "origin", "--", wanted])
        if shallow.status == 0 { return try resolve(git, "FETCH_HEAD^{commit}", in: tree) ?? wanted }
        let message = Self.oneLine(shallow.errors)
        let missing = message.contains("couldn't find remote ref") || message.contains("not our ref")
        if let ref = source.ref, ref.count >= 4, ref.count <= 64, ref.allSatisfy(\.isHexDigit), missing {
            let full = try invoke(git, ["-C", tree, "fetch", "-q", "--tags", "origin", "--", "+refs/heads/*:refs/remotes/origin/*"])
            guard full.status == 0 else {
                throw RemoteContextError.fetch(remote: source.shownRemote, status: full.status, message: Self.oneLine(full.errors))
            }
            if let commit = try resolve(git, ref + "^{commit}", in: tree) { return commit }
            throw RemoteContextError.unknownRef(ref, message: message)
        }
        if missing { throw RemoteContextError.unknownRef(wanted, message: message) }
        throw RemoteContextError.fetch(remote: source.shownRemote, status: shallow.status, message: message)
    }

    private func resolve(_ git: String, _ revision: String, in tree: String) throws -> String? {
        let result = try invoke(git, ["-C", tree, "rev-parse", "-q", "--verify", revision])
        let commit = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return result.status == 0 && !commit.isEmpty ? commit : nil
    }

    /// The fragment's subdirectory, which must stay inside the checkout once symlinks are resolved.
    private func contextDirectory(in tree: String) throws -> String {
        let root = BuildContext.realPath(tree)
        guard let subdirectory = source.subdirectory else { return root }
        let candidate = root + GoPath.clean("/" + subdirectory)
        guard let resolved = realpath(candidate, nil) else {
            throw RemoteContextError.subdirectory(subdirectory, reason: String(cString: strerror(errno)).lowercased())
        }
        let path = String(cString: resolved)
        free(resolved)
        guard path == root || path.hasPrefix(root + "/") else {
            throw RemoteContextError.subdirectory(subdirectory, reason: "outside the repository")
        }
        guard BuildContext.statFollowing(path)?.kind == .directory else {
            throw RemoteContextError.subdirectory(subdirectory, reason: "not a directory")
        }
        return path
    }

    /// Runs a git step that must succeed; a failure is `failed to <what> <remote>: exit status N: <git's message>`.
    private func step(_ what: String, _ git: String, _ arguments: [String]) throws {
        let result = try invoke(git, arguments)
        guard result.status == 0 else {
            throw RemoteContextError.git(step: what, remote: source.shownRemote, status: result.status, message: Self.oneLine(result.errors))
        }
    }

    private struct Outcome {
        var status: Int32
        var output: String
        var errors: String
    }

    /// `git arguments…` through `/bin/sh` only to set umask 022 (a checkout's modes must not depend on the caller's);
    /// stdin is /dev/null, stdout and stderr go to files in the session. A shallow step the server or transport
    /// cannot serve (dumb http refuses `--depth`) is run again in full, as BuildKit does.
    private func invoke(_ git: String, _ arguments: [String]) throws -> Outcome {
        var arguments = arguments
        let outputPath = session.path + "/git.out", errorPath = session.path + "/git.err"
        func attempt() throws -> Outcome {
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
            _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
            guard let output = FileHandle(forWritingAtPath: outputPath), let errors = FileHandle(forWritingAtPath: errorPath) else {
                throw FileSystemError("open", errorPath, code: errno)
            }
            defer { try? output.close(); try? errors.close() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "umask 022 && exec \"$0\" \"$@\"", git] + arguments
            process.environment = environment
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            process.waitUntilExit()
            return Outcome(status: process.terminationStatus,
                           output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
                           errors: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
        }
        var outcome = try attempt()
        if outcome.status != 0, arguments.contains("--depth=1"), outcome.errors.contains("shallow") || outcome.errors.contains("--depth") {
            arguments.removeAll { $0 == "--depth=1" }
            outcome = try attempt()
        }
        return outcome
    }

    /// Git's message on one line: its lines joined, hints dropped, bounded.
    static func oneLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("hint:") }
        let joined = lines.joined(separator: " ")
        return joined.count > 400 ? String(joined.prefix(400)) + "…" : joined
    }

    static func executable(in path: String) -> String? {
        for directory in path.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = String(directory) + "/git"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
