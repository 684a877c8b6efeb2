import ArgumentParser
import Foundation

/// docker's (cobra's) usage errors, reproduced word for word with "strata" for "docker".
enum UsageErrors {
    enum Arity {
        case exactly(Int)
        case atLeast(Int)
        case atMost(Int)

        func accepts(_ count: Int) -> Bool {
            switch self {
            case .exactly(let n): return count == n
            case .atLeast(let n): return count >= n
            case .atMost(let n): return count <= n
            }
        }

        var text: String {
            switch self {
            case .exactly(let n): return "exactly \(n) argument\(n == 1 ? "" : "s")"
            case .atLeast(let n): return "at least \(n) argument\(n == 1 ? "" : "s")"
            case .atMost(let n): return "at most \(n) argument\(n == 1 ? "" : "s")"
            }
        }
    }

    /// Usage line and one-line description per command path, as docker prints them.
    static let usage: [String: (usage: String, abstract: String)] = [
        "import": ("import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]", "Import the contents from a tarball to create a filesystem image"),
        "history": ("history [OPTIONS] IMAGE", "Show the history of an image"),
        "rmi": ("rmi [OPTIONS] IMAGE [IMAGE...]", "Remove one or more images"),
        "inspect": ("inspect [OPTIONS] NAME|ID [NAME|ID...]", "Return low-level information on Docker objects"),
        "tag": ("tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
        "image import": ("image import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]", "Import the contents from a tarball to create a filesystem image"),
        "image history": ("image history [OPTIONS] IMAGE", "Show the history of an image"),
        "image rm": ("image rm [OPTIONS] IMAGE [IMAGE...]", "Remove one or more images"),
        "image remove": ("image rm [OPTIONS] IMAGE [IMAGE...]", "Remove one or more images"),
        "image inspect": ("image inspect [OPTIONS] IMAGE [IMAGE...]", "Display detailed information on one or more images"),
        "export": ("export [OPTIONS] IMAGE", "Export an image's flattened filesystem as a tar archive"),
        "image unpack": ("image unpack IMAGE DIR", "Unpack an image's root filesystem into a directory"),
        "pull": ("pull [OPTIONS] NAME[:TAG|@DIGEST]", "Pull an image or a repository from a registry"),
        "push": ("push [OPTIONS] NAME[:TAG]", "Push an image or a repository to a registry"),
        "login": ("login [OPTIONS] [SERVER]", "Log in to a Docker registry"),
        "logout": ("logout [SERVER]", "Log out from a Docker registry"),
        "image pull": ("image pull [OPTIONS] NAME[:TAG|@DIGEST]", "Pull an image or a repository from a registry"),
        "image push": ("image push [OPTIONS] NAME[:TAG]", "Push an image or a repository to a registry"),
        "copy": ("copy [OPTIONS] SOURCE-IMAGE DESTINATION-IMAGE", "Copy an image between transports"),
        "manifest inspect": ("manifest inspect [OPTIONS] [MANIFEST_LIST] MANIFEST", "Display an image manifest, or manifest list"),
        "manifest create": ("manifest create MANIFEST_LIST MANIFEST [MANIFEST...]", "Create a local manifest list for annotating and pushing to a registry"),
        "manifest annotate": ("manifest annotate [OPTIONS] MANIFEST_LIST MANIFEST", "Add additional information to a local image manifest"),
        "manifest push": ("manifest push [OPTIONS] MANIFEST_LIST", "Push a manifest list to a repository"),
        "image tag": ("image tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
    ]

    /// Throws docker's "requires …" error when `count` positional arguments break `arity`.
    static func check(_ count: Int, _ arity: Arity) throws {
        guard !arity.accepts(count) else { return }
        let path = GlobalOptions.commandPath
        let entry = usage[path] ?? (path, "")
        throw CLIError(message: """
            "strata \(path)" requires \(arity.text).
            See 'strata \(path) --help'.

            Usage:  strata \(entry.usage)

            \(entry.abstract)
            """)
    }

    /// Maps ArgumentParser's parse failures onto cobra's wording and exit status 125.
    static func cobraMessage(for error: Error) -> String {
        let message = Strata.message(for: error)
        let path = GlobalOptions.commandPath
        let see = "See 'strata\(path.isEmpty ? "" : " " + path) --help'."
        if let flag = quoted(after: "Unknown option ", in: message) {
            if flag.hasPrefix("--") || flag.count != 2 { return "unknown flag: \(flag)\n\(see)" }
            return "unknown shorthand flag: '\(flag.dropFirst())' in \(flag)\n\(see)"
        }
        if let flag = quoted(after: "Missing value for ", in: message) {
            return "flag needs an argument: \(flag.split(separator: " ").first.map(String.init) ?? flag)\n\(see)"
        }
        return "\(message)\n\(see)"
    }

    private static func quoted(after prefix: String, in message: String) -> String? {
        guard let range = message.range(of: prefix + "'") else { return nil }
        let rest = message[range.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }
}
