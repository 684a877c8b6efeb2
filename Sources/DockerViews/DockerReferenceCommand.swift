import GoText
import OCI

/// The docker commands whose reference-error output Strata reproduces. Verified against the docker 20.10.24
/// client (`/usr/bin/docker`) with dockerd 20.10.24; both parse with the same rules, so `<msg>` is the same
/// text on either side and only the framing differs:
///
/// | command                 | stderr                                                                                | exit |
/// |-------------------------|---------------------------------------------------------------------------------------|------|
/// | tag (either argument)   | `Error parsing reference: "<input>" is not a valid repository/tag: <msg>`             | 1    |
/// | tag with digest target  | `refusing to create a tag with a digest reference`                                    | 1    |
/// | tag to `sha256:<hex>`   | `Error response from daemon: refusing to create an ambiguous tag using digest algorithm as name` | 1 |
/// | pull, push, create, commit | `<msg>` (parsed by the CLI, nothing on stdout)                                     | 1    |
/// |                         | run/create accept bare IDs (`ParseAnyReference`); pull/push/commit reject 64-hex names; commit accepts no name at all |  |
/// | run                     | `docker: <msg>.` + `\nSee 'docker run --help'.`                                       | 125  |
/// | rmi, image rm, history, save | always the daemon parse: `Error response from daemon: <msg>`                     | 1    |
/// |                         | rmi/history/inspect see the URL-cleaned name (``daemonVisibleName(_:)``): `a//b` is `a/b` |  |
/// | image inspect           | stdout `[]`; stderr `Error response from daemon: no such image: <input>: <msg>`       | 1    |
/// | inspect                 | stdout `[]`; `<msg>` containing "invalid reference format": `Error: No such object: <input>`; others as image inspect | 1 |
///
/// Examples: `docker tag local/busybox Oracle/BB:t3` → `Error parsing reference: "Oracle/BB:t3" is not a valid
/// repository/tag: invalid reference format: repository name must be lowercase`; `docker rmi Oracle/BB` →
/// `Error response from daemon: invalid reference format: repository name must be lowercase`;
/// `docker pull 'a@sha256:zz'` → `invalid reference format`.
public enum DockerReferenceCommand: Sendable, Hashable, CaseIterable {
    case tag, pull, push, create, commit, run
    case rmi, history, save
    case imageInspect, inspect

    /// Commands whose CLI parses the reference before calling the daemon.
    public var parsesOnClient: Bool {
        switch self {
        case .tag, .pull, .push, .create, .commit, .run: true
        case .rmi, .history, .save, .imageInspect, .inspect: false
        }
    }

    /// docker's exit status for a rejected reference.
    public var exitCode: Int32 { self == .run ? 125 : 1 }
}

/// The exact stderr text (without trailing newline) docker prints when it rejects a reference.
public struct DockerReferenceFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32
    /// Text docker writes to stdout before failing (`[]` for the inspect commands), else nil.
    public let stdout: String?
    public var description: String { message }
}

/// docker's CLI framing of a rejected `docker tag` reference; OCI's ``ReferenceError`` itself carries only the
/// grammar's message.
extension ReferenceError {
    /// `docker tag`'s message for a rejected source or target reference.
    public static func dockerTagMessage(input: String, error: ReferenceError) -> String {
        if case .rejectedByDaemon(let inner) = error { return "Error response from daemon: \(inner)" }
        return "Error parsing reference: \(GoQuote.quote(input)) is not a valid repository/tag: \(error)"
    }

    /// Convenience: parses `input` as a `docker tag` target and returns docker's message, or nil if valid.
    public static func dockerTagMessage(input: String) -> String? {
        do {
            let reference = try ImageReference(input)
            return reference.digest == nil ? nil : "refusing to create a tag with a digest reference"
        } catch {
            return dockerTagMessage(input: input, error: error)
        }
    }
}

extension DockerReferenceCommand {
    /// Validates `input` as this command would, returning docker's failure output, or nil when docker would
    /// accept the reference. Names for `rmi`/`history`/`save`/inspect go through `ParseAnyReference`.
    public func failure(for input: String) -> DockerReferenceFailure? {
        // `docker commit CONTAINER` without a name makes an untagged image.
        if self == .commit, input.isEmpty { return nil }
        if parsesOnClient {
            let error: ReferenceError
            do {
                if self == .tag {
                    let reference = try ImageReference(input)
                    guard reference.digest == nil else {
                        return DockerReferenceFailure(message: "refusing to create a tag with a digest reference", exitCode: 1, stdout: nil)
                    }
                    // dockerd's reference store refuses `sha256:<hex>`-looking tags (familiar name "sha256").
                    if reference.familiarName == "sha256" {
                        return DockerReferenceFailure(
                            message: "Error response from daemon: refusing to create an ambiguous tag using digest algorithm as name",
                            exitCode: 1, stdout: nil)
                    }
                } else if self == .create || self == .run {
                    // The CLI resolves run/create images with ParseAnyReference, so bare IDs pass.
                    _ = try AnyImageReference(input)
                } else {
                    _ = try ImageReference(input)
                }
                return nil
            } catch let caught {
                error = caught
            }
            return failure(error, input: input)
        }
        let name = daemonVisibleName(input)
        // An empty URL-path name never reaches the image parser (docker reports "No such image:" instead).
        if name.isEmpty, self != .save { return nil }
        do {
            _ = try AnyImageReference.parse(name, rules: .daemon)
            return nil
        } catch {
            return failure(.rejectedByDaemon(error), input: input, daemonName: name)
        }
    }

    /// The name dockerd actually receives. rmi, history and (image) inspect put the name in the URL path,
    /// which Go's HTTP server cleans like `path.Clean`: `a//b` → `a/b`, `/a` and `a/` → `a`, `x/../y` → `y`.
    /// `save` sends names as query parameters, so they arrive untouched. Look images up by this name too.
    public func daemonVisibleName(_ input: String) -> String {
        switch self {
        case .rmi, .history, .imageInspect, .inspect:
            var segments: [Substring] = []
            for segment in input.split(separator: "/", omittingEmptySubsequences: true) {
                if segment == "." { continue }
                if segment == ".." { _ = segments.popLast(); continue }
                segments.append(segment)
            }
            return segments.joined(separator: "/")
        default:
            return input
        }
    }

    /// Formats `error` (already classified client/daemon) the way this command prints it.
    public func failure(_ error: ReferenceError, input: String) -> DockerReferenceFailure {
        failure(error, input: input, daemonName: daemonVisibleName(input))
    }

    /// `daemonName` is what dockerd echoes back ("no such image: <daemonName>: …"); the CLI's own messages
    /// echo the `input` as typed.
    func failure(_ error: ReferenceError, input: String, daemonName: String) -> DockerReferenceFailure {
        let daemonPrefixed = error.isFromDaemon ? "Error response from daemon: \(error)" : error.description
        let message: String
        var stdout: String?
        switch self {
        case .tag:
            message = ReferenceError.dockerTagMessage(input: input, error: error)
        case .pull, .push, .create, .commit, .rmi, .history, .save:
            message = daemonPrefixed
        case .run:
            message = "docker: \(daemonPrefixed).\nSee 'docker run --help'."
        case .imageInspect:
            message = "Error response from daemon: no such image: \(daemonName): \(error)"
            stdout = "[]"
        case .inspect:
            stdout = "[]"
            // The 20.10 CLI treats "invalid reference format" answers as "not an image" and tries the
            // other object kinds; any other parse error is reported as it came.
            if error.description.contains("invalid reference format") {
                message = "Error: No such object: \(input)"
            } else {
                message = "Error response from daemon: no such image: \(daemonName): \(error)"
            }
        }
        return DockerReferenceFailure(message: message, exitCode: exitCode, stdout: stdout)
    }
}
