import Foundation
import Format
import GoText
import OCI
import Store
import Testing
@testable import DockerViews

private func image(_ tags: [String], digests: [String] = [], created: Double = 1_700_000_000, size: Int64 = 1_984_241) throws -> StoredImage {
    let id = Digest.sha256(Data((tags.joined() + digests.joined() + "\(created)").utf8))
    return StoredImage(id: id, manifestDigest: id, manifestMediaType: MediaType.ociManifest, created: "", createdUnix: created,
                       size: size, labels: ["team": "a"], lastTagTime: nil,
                       repoTags: try tags.map { try ImageReference($0) }, repoDigests: try digests.map { try ImageReference($0) })
}

@Test func danglingImagesShowNoneRows() throws {
    let rows = ImageListView.expand(try image([]), showDigests: false)
    #expect(rows.map { "\($0.repository) \($0.tag) \($0.digest)" } == ["<none> <none> <none>"])
}

@Test func digestOnlyReferencesShowTagNone() throws {
    let digest = "busybox@sha256:" + String(repeating: "a", count: 64)
    #expect(ImageListView.expand(try image([], digests: [digest]), showDigests: false).map(\.tag) == ["<none>"])
    let shown = ImageListView.expand(try image(["busybox:1"], digests: [digest]), showDigests: true)
    #expect(shown.map(\.digest) == ["sha256:" + String(repeating: "a", count: 64)])
}

@Test func referenceFilterHidesOtherNamesAndFiltersCompose() throws {
    var options = ImageListView.Options()
    options.filters = try FilterArguments(["reference=web/*", "label=team=a"])
    let rows = try ImageListView.rows(images: [try image(["web/app:1", "db/pg:15"]), try image(["db/redis:7"], created: 1)],
                                      options: options) { _ in throw StoreError.noSuchImage("x") }
    #expect(rows.map { "\($0.repository):\($0.tag)" } == ["web/app:1"])
    options.filters = try FilterArguments(["bogus=1"])
    #expect(throws: FilterError(message: "Invalid filter 'bogus'")) {
        try ImageListView.rows(images: [], options: options) { _ in throw StoreError.noSuchImage("x") }
    }
}

@Test func imageRowTemplateMatchesDockersColumns() throws {
    let row = ImageListView.Row(image: try image(["busybox:latest"]), repository: "busybox", tag: "latest", digest: "<none>")
    let value = ImageListView.templateValue(row, noTrunc: false, now: 1_700_000_010)
    let text = try FormatRenderer(format: ImageListView.defaultFormat, headers: ImageListView.headers).render(rows: [value])
    let lines = text.split(separator: "\n")
    #expect(lines[0] == "REPOSITORY   TAG       IMAGE ID       CREATED          SIZE")
    #expect(lines[1].hasSuffix("10 seconds ago   1.98MB"))
}

@Test func historyPairsNonEmptyEntriesWithLayersNewestFirst() throws {
    let stored = try image(["a:1"])
    let diff = Digest.sha256(Data("layer".utf8))
    let layer = StoredLayer(blobDigest: diff, diffID: diff, mediaType: MediaType.ociLayerGzip, blobSize: 10, contentSize: 64)
    let config = ImageConfig(architecture: "amd64", os: "linux", rootfs: RootFS(diffIDs: [diff]), history: [
        History(created: Timestamp(seconds: 100), createdBy: "/bin/sh -c echo hi > /x"),
        History(created: Timestamp(seconds: 200), createdBy: "/bin/sh -c #(nop)  LABEL a=b", emptyLayer: true),
    ])
    let rows = try HistoryView.rows(image: stored, config: config, layers: [layer])
    #expect(rows.map(\.size) == [0, 64])
    #expect(rows[0].id == stored.id.description)
    #expect(rows[1].id == "<missing>")
    #expect(HistoryView.ellipsis(String(repeating: "x", count: 50), 45) == String(repeating: "x", count: 44) + "…")
}

@Test func eventLineHasNineFractionDigitsAndSortedAttributes() {
    let event = ImageEvent(sequence: 1, timeNano: 1_795_709_472_453_055_000, type: "image", action: "tag",
                           actorID: "sha256:x", attributes: ["name": "a:1", "b": "2"])
    setenv("TZ", "UTC", 1)
    #expect(EventView.line(event) == "2026-11-26T16:11:12.453055000Z image tag sha256:x (b=2, name=a:1)")
    #expect(EventView.matches(event, filters: try! FilterArguments(["image=a"])))
    #expect(!EventView.matches(event, filters: try! FilterArguments(["event=untag"])))
}

@Test func jsonIndentMatchesGo() {
    #expect(JSONIndent.indent(#"{"a":[],"b":{},"c":[1,{"d":"x,y"}]}"#) == """
        {
            "a": [],
            "b": {},
            "c": [
                1,
                {
                    "d": "x,y"
                }
            ]
        }
        """)
}

@Test func goDurationsAndTimestamps() throws {
    #expect(GoDuration.seconds("1h30m") == 5400)
    #expect(GoDuration.seconds("10m") == 600)
    #expect(GoDuration.seconds("abc") == nil)
    #expect(try TimestampArgument.parse("24h", now: 100_000) == 100_000 - 86_400)
    #expect(try TimestampArgument.parse("1700000000") == 1_700_000_000)
    #expect(throws: FilterError.self) { try TimestampArgument.parse("nonsense") }
}
