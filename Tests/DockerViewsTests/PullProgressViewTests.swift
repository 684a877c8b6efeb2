import OCI
import Testing
@testable import DockerViews

/// Expected bytes come from /work/notes/oracle/pull-tty.txt, push-tty.txt, pull-plain.txt, push-plain.txt
/// (docker 20.10.24 against a local registry, pty 120 columns).
@Suite struct PullProgressViewTests {
    private let esc = "\u{1B}"

    @Test func terminalPushMatchesDocker() {
        var view = PullProgressView(isTerminal: true, terminalWidth: 120)
        var out = view.line(PullProgressLines.pushRefersTo(try! ImageReference("127.0.0.1:5555/copyprog/multi")))
        for id in ["f40ef2ecbf7a", "821991b74593", "6a0f4e7c1672", "138d7c2d30bb"] { out += view.update(id: id, .preparing) }
        out += view.update(id: "6a0f4e7c1672", .pushing(current: 33_280, total: 3_000_000))
        out += view.update(id: "f40ef2ecbf7a", .pushing(current: 512, total: 100))
        out += view.update(id: "6a0f4e7c1672", .pushed)
        out += view.line(PullProgressLines.pushed(tag: "latest", digest: Digest.sha256(Array("x".utf8)), size: 1157))
        let expected = "The push refers to repository [127.0.0.1:5555/copyprog/multi]\n"
            + "\n\(esc)[1A\(esc)[2K\rf40ef2ecbf7a: Preparing \r\(esc)[1B"
            + "\n\(esc)[1A\(esc)[2K\r821991b74593: Preparing \r\(esc)[1B"
            + "\n\(esc)[1A\(esc)[2K\r6a0f4e7c1672: Preparing \r\(esc)[1B"
            + "\n\(esc)[1A\(esc)[2K\r138d7c2d30bb: Preparing \r\(esc)[1B"
            + "\(esc)[2A\(esc)[2K\r6a0f4e7c1672: Pushing [>                                                  ]  33.28kB/3MB\r\(esc)[2B"
            + "\(esc)[4A\(esc)[2K\rf40ef2ecbf7a: Pushing [==================================================>]     512B\r\(esc)[4B"
            + "\(esc)[2A\(esc)[2K\r6a0f4e7c1672: Pushed \r\(esc)[2B"
            + "latest: digest: \(Digest.sha256(Array("x".utf8))) size: 1157\n"
        #expect(out == expected)
    }

    @Test func terminalPullMatchesDocker() throws {
        var view = PullProgressView(isTerminal: true, terminalWidth: 120)
        let reference = try ImageReference("127.0.0.1:5555/copyprog/multi").withDefaultTag()
        var out = view.line(PullProgressLines.usingDefaultTag())
        let pulling = PullProgressLines.pullingFrom(reference)
        out += view.line(id: pulling.id, pulling.text)
        out += view.update(id: "476e3a32b88b", .alreadyExists)
        out += view.update(id: "80785405ad9f", .pullingFSLayer)
        out += view.update(id: "80785405ad9f", .downloading(current: 110, total: 110))
        out += view.update(id: "80785405ad9f", .verifyingChecksum)
        out += view.update(id: "476e3a32b88b", .extracting(current: 458_800, total: 3_001_000))
        out += view.line(PullProgressLines.status(reference, downloaded: true))
        out += view.line(PullProgressLines.pulledReference(reference))
        let expected = "Using default tag: latest\nlatest: Pulling from copyprog/multi\n"
            + "\n\(esc)[1A\(esc)[2K\r476e3a32b88b: Already exists \r\(esc)[1B"
            + "\n\(esc)[1A\(esc)[2K\r80785405ad9f: Pulling fs layer \r\(esc)[1B"
            + "\(esc)[1A\(esc)[2K\r80785405ad9f: Downloading [==================================================>]     110B/110B\r\(esc)[1B"
            + "\(esc)[1A\(esc)[2K\r80785405ad9f: Verifying Checksum \r\(esc)[1B"
            + "\(esc)[2A\(esc)[2K\r476e3a32b88b: Extracting [=======>                                           ]  458.8kB/3.001MB\r\(esc)[2B"
            + "Status: Downloaded newer image for 127.0.0.1:5555/copyprog/multi:latest\n"
            + "127.0.0.1:5555/copyprog/multi:latest\n"
        #expect(out == expected)
    }

    @Test func narrowTerminalHasNoBar() {
        var view = PullProgressView(isTerminal: true, terminalWidth: 80)
        _ = view.update(id: "d9aab5f1af12", .pullingFSLayer)
        #expect(view.update(id: "d9aab5f1af12", .downloading(current: 69_210, total: 6_002_000))
            == "\(esc)[1A\(esc)[2K\rd9aab5f1af12: Downloading  69.21kB/6.002MB\r\(esc)[1B")
    }

    @Test func plainOutputIsOneLinePerStatus() {
        var view = PullProgressView(isTerminal: false)
        var out = view.line(id: "latest", "Pulling from copyprog/multi")
        out += view.update(id: "476e3a32b88b", .alreadyExists)
        out += view.update(id: "b7417b6395e1", .pullingFSLayer)
        out += view.update(id: "b7417b6395e1", .downloading(current: 36_450, total: 3_001_000))
        out += view.update(id: "b7417b6395e1", .verifyingChecksum)
        out += view.update(id: "b7417b6395e1", .downloadComplete)
        out += view.update(id: "b7417b6395e1", .extracting(current: 3_001_000, total: 3_001_000))
        out += view.update(id: "b7417b6395e1", .pullComplete)
        out += view.update(id: "138d7c2d30bb", .mountedFrom("copyprog/busybox"))
        out += view.update(id: "138d7c2d30bb", .layerAlreadyExists)
        #expect(out == """
            latest: Pulling from copyprog/multi
            476e3a32b88b: Already exists
            b7417b6395e1: Pulling fs layer
            b7417b6395e1: Verifying Checksum
            b7417b6395e1: Download complete
            b7417b6395e1: Pull complete
            138d7c2d30bb: Mounted from copyprog/busybox
            138d7c2d30bb: Layer already exists

            """)
    }

    @Test func progressBar() {
        #expect(ProgressBar.render(current: 0, total: nil, terminalWidth: 200) == "")
        #expect(ProgressBar.render(current: 0, total: 0, terminalWidth: 200) == "")
        #expect(ProgressBar.render(current: 2_130_000, total: nil, terminalWidth: 200) == "  2.13MB")
        #expect(ProgressBar.render(current: 1_967_000, total: 3_000_000, terminalWidth: 200)
            == "[================================>                  ]  1.967MB/3MB")
        #expect(ProgressBar.render(current: 5_892_000, total: 6_002_000, terminalWidth: 111)
            == "[=================================================> ]  5.892MB/6.002MB")
        // More bytes than announced: full bar, no total (docker's "wonky" case).
        #expect(ProgressBar.render(current: 3_002_000, total: 3_000_000, terminalWidth: 200)
            == "[==================================================>]  3.002MB")
        #expect(ProgressBar.render(current: 1_180_000, total: 6_000_000, terminalWidth: 110) == "  1.18MB/6MB")
        #expect(ProgressBar.render(current: 512, total: 0, terminalWidth: 200) == "    512B")
    }

    @Test func headerLines() throws {
        let hub = try ImageReference("busybox")
        #expect(PullProgressLines.pullingFrom(hub.withDefaultTag()) == ("latest", "Pulling from library/busybox"))
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let pinned = try ImageReference("busybox@" + digest)
        #expect(PullProgressLines.pullingFrom(pinned).id == "docker.io/library/busybox@" + digest)
        #expect(PullProgressLines.status(hub.withDefaultTag(), downloaded: false) == "Status: Image is up to date for busybox:latest")
        #expect(PullProgressLines.pulledReference(hub.withDefaultTag()) == "docker.io/library/busybox:latest")
        #expect(PullProgressLines.pushRefersTo(hub) == "The push refers to repository [docker.io/library/busybox]")
        #expect(PullProgressLines.digest(try Digest(digest)) == "Digest: " + digest)
        #expect(PullProgressLines.platformMismatch(try ImageReference("127.0.0.1:5555/copyprog/multi:latest"),
                                                   wanted: "linux/foo", actual: "linux/amd64")
            == "WARNING: image with reference 127.0.0.1:5555/copyprog/multi was found but does not match the specified platform: wanted linux/foo, actual: linux/amd64")
        #expect(PullProgressView.layerID(try Digest(digest)) == "aaaaaaaaaaaa")
    }
}
