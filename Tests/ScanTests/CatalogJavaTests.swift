import Foundation
import Testing
@testable import Scan

/// Java archives written by Python's zipfile (an independent zip writer): pom.properties, manifests, jars in
/// jars, and zip bombs that must cost a warning, not a hang.
@Suite struct CatalogJavaTests {
    /// Runs a Python script (Debian's python3) that writes files into `directory`.
    static func python(_ script: String, in directory: URL) throws -> Bool {
        guard ScanTestSupport.toolExists("python3") else { return false }
        let result = try ScanTestSupport.run(["/usr/bin/python3", "-c", script], directory: directory)
        if result.status != 0 { Issue.record("fixture script failed (\(result.status))") }
        return result.status == 0
    }

    static let fixtures = """
        import io, zipfile, os
        def jar(files, method=zipfile.ZIP_DEFLATED):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, 'w', method) as z:
                for name, data in files:
                    z.writestr(name, data)
            return buffer.getvalue()
        guava = jar([('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\\r\\nBundle-SymbolicName: com.google.guava\\r\\n\\r\\n'),
                     ('META-INF/maven/com.google.guava/guava/pom.properties', '#Generated\\ngroupId=com.google.guava\\nartifactId=guava\\nversion=32.1.2-jre\\n'),
                     ('com/google/common/base/Strings.class', b'\\xca\\xfe\\xba\\xbe')])
        plain = jar([('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\\nBundle-SymbolicName: org.plain.core;singleton:=true\\nBundle-Version: 1.4.0\\nBundle-License: https://www.apache.org/licenses/LICENSE-2.0.tx\\n t\\n\\nName: x\\nBundle-Version: 9\\n')])
        app = jar([('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\\nImplementation-Title: app\\nImplementation-Version: 3.1\\n'),
                   ('META-INF/maven/com.example/app/pom.properties', 'groupId = com.example\\nartifactId: app\\nversion=3.1.0\\n'),
                   ('BOOT-INF/lib/guava-32.1.2-jre.jar', guava), ('lib/plain-1.4.jar', plain), ('lib/broken.jar', b'not a zip')],
                  zipfile.ZIP_STORED)
        open('app.jar', 'wb').write(app)
        # Depth: a jar inside a jar inside a jar... twelve deep.
        inner = jar([('META-INF/maven/deep/deep/pom.properties', 'groupId=deep\\nartifactId=deep\\nversion=1\\n')])
        for level in range(12):
            inner = jar([('META-INF/maven/l/l%d/pom.properties' % level, 'groupId=l\\nartifactId=l%d\\nversion=1\\n' % level), ('nested-%d.jar' % level, inner)])
        open('deep.jar', 'wb').write(inner)
        # Width: 64 copies of a 300 KB nested jar (random, stored), each one a package.
        leaf = jar([('META-INF/maven/w/w/pom.properties', 'groupId=w\\nartifactId=w\\nversion=1\\n'), ('blob', os.urandom(300000))], zipfile.ZIP_STORED)
        open('wide.jar', 'wb').write(jar([('lib/w%d.jar' % i, leaf) for i in range(64)], zipfile.ZIP_STORED))
        """

    @Test func jarsNestedJarsAndManifests() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard try Self.python(Self.fixtures, in: directory) else { return }
        let app = Array(try Data(contentsOf: directory.appendingPathComponent("app.jar")))
        let layer = try CatalogTestLayers.layer([.file("opt/app.jar", app), .file("opt/copy/app.jar", app)], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        // What the fixture above declares.
        #expect(inventory.packages.map(\.purl).sorted() == [
            "pkg:maven/com.example/app@3.1.0", "pkg:maven/com.google.guava/guava@32.1.2-jre", "pkg:maven/org.plain.core@1.4.0",
        ])
        let guava = inventory.packages.first { $0.name == "guava" }
        #expect(guava?.locations == ["/opt/app.jar:BOOT-INF/lib/guava-32.1.2-jre.jar", "/opt/copy/app.jar:BOOT-INF/lib/guava-32.1.2-jre.jar"])
        #expect(inventory.packages.first { $0.name == "org.plain.core" }?.licenses == ["https://www.apache.org/licenses/LICENSE-2.0.txt"])
        #expect(inventory.warnings.count == 2 && inventory.warnings.allSatisfy { $0.contains("app.jar:lib/broken.jar: not a readable Java archive") })
    }

    /// The same jar spooled to a temporary file when it is over the in-memory limit reads the same.
    @Test func largeJarIsSpooled() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard try Self.python(Self.fixtures, in: directory) else { return }
        let app = Array(try Data(contentsOf: directory.appendingPathComponent("app.jar")))
        let layer = try CatalogTestLayers.layer([.file("opt/app.jar", app)], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer], options: CatalogOptions(maxFileSize: 2048))
        #expect(inventory.packages.map(\.name).sorted() == ["app", "guava", "org.plain.core"])
    }

    @Test func jarBombsAreBounded() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard try Self.python(Self.fixtures, in: directory) else { return }
        let deep = Array(try Data(contentsOf: directory.appendingPathComponent("deep.jar")))
        let wide = Array(try Data(contentsOf: directory.appendingPathComponent("wide.jar")))
        let layer = try CatalogTestLayers.layer([.file("deep.jar", deep), .file("wide.jar", wide)], in: directory)
        let clock = ContinuousClock()
        let start = clock.now
        let inventory = try ImageCatalog.catalog(layers: [layer], options: CatalogOptions(maxArchiveDepth: 4, maxArchiveExpansion: 4 << 20))
        #expect(clock.now - start < .seconds(10))
        // Depth 4: the top jar (l11) and three levels under it; then one warning.
        #expect(inventory.packages.filter { $0.namespace == "l" }.map(\.name).sorted() == ["l10", "l11", "l8", "l9"])
        #expect(inventory.warnings.filter { $0.contains("nested deeper than 4 archives") }.count == 1)
        // 4 MiB of budget: 13 of the 300 KB jars, then one warning.
        #expect(inventory.packages.first { $0.name == "w" }?.locations.count == 13)
        #expect(inventory.warnings.filter { $0.hasPrefix("/wide.jar: nested archives inflate past") }.count == 1)
        #expect(inventory.warnings.count == 2, "\(inventory.warnings)")
    }
}
