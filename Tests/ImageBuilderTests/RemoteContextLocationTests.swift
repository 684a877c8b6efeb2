import Foundation
import Testing
@testable import ImageBuilder

/// Which `build` arguments are git repositories, downloads or neither, by the rules of BuildKit's dockerfile
/// frontend (which docker 20.10 hands every non-path context to), and how `#ref:subdir` and user info are read.
struct RemoteContextLocationTests {
    @Test func gitOrDownloadOrNeither() {
        let git = [
            "git://example.com/repo", "git@github.com:org/repo.git", "github.com/org/repo", "https://example.com/repo.git",
            "http://example.com/a/repo.git#main", "https://example.com/repo.git#v1:docker",
        ]
        for argument in git {
            guard case .git = RemoteContextLocation(argument) else { Issue.record("\(argument) is a git repository"); continue }
        }
        // An empty fragment does not match `\.git(#.+)?$`: a download, as in BuildKit.
        for argument in ["https://example.com/ctx.tar.gz", "http://example.com/repo.gitx", "https://example.com/repo.git#",
                         "https://example.com/repo.git/"] {
            #expect(RemoteContextLocation(argument) == .download(url: argument), "\(argument)")
        }
        for argument in ["ctx", "./github.com/org/repo", "ftp://example.com/ctx.tar", "ssh://example.com/repo.git", "-"] {
            #expect(RemoteContextLocation(argument) == nil, "\(argument)")
        }
    }

    @Test func fragmentIsRefAndSubdirectory() throws {
        let plain = try #require(GitContextSource("git://example.com/repo.git"))
        #expect(plain.remote == "git://example.com/repo.git" && plain.ref == nil && plain.subdirectory == nil)
        let both = try #require(GitContextSource("git@example.com:org/repo.git#v1.2:build/ctx"))
        #expect(both.remote == "git@example.com:org/repo.git" && both.ref == "v1.2" && both.subdirectory == "build/ctx")
        let onlySubdirectory = try #require(GitContextSource("https://example.com/repo.git#:docker"))
        #expect(onlySubdirectory.ref == nil && onlySubdirectory.subdirectory == "docker")
        let github = try #require(GitContextSource("github.com/org/repo#main"))
        #expect(github.remote == "https://github.com/org/repo" && github.ref == "main" && github.display == "github.com/org/repo#main")
    }

    @Test func userInfoNeverReachesGitOrMessages() throws {
        let source = try #require(GitContextSource("https://us%40er:s3cret@example.com:8443/org/repo.git#main"))
        #expect(source.remote == "https://example.com:8443/org/repo.git")
        #expect(source.basicCredentials == "us@er:s3cret")
        #expect(source.credentialScope == "https://example.com:8443/")
        #expect(source.display == "https://us%40er:xxxxx@example.com:8443/org/repo.git#main")
        #expect(source.shownRemote == "https://us%40er:xxxxx@example.com:8443/org/repo.git")
        let error = RemoteContextError.fetch(remote: source.shownRemote, status: 128, message: "fatal: x")
        #expect(!error.description.contains("s3cret"))
        // A token alone (GitHub's style) is a user without a password: sent, and hidden like a password.
        let token = try #require(GitContextSource("https://ghp_token@github.com/org/repo.git"))
        #expect(token.remote == "https://github.com/org/repo.git" && token.basicCredentials == "ghp_token")
        #expect(token.display == "https://xxxxx@github.com/org/repo.git")
        // An ssh user is no secret: git@ and git:// arguments are shown as typed.
        #expect(try #require(GitContextSource("git@example.com:org/repo.git#main")).display == "git@example.com:org/repo.git#main")
    }
}
