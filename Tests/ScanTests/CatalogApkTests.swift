import Foundation
import Testing
@testable import Scan

/// Alpine's installed database (format from the Alpine wiki's apk spec), and its purls against packageurl-python.
@Suite struct CatalogApkTests {
    @Test func installedDatabase() throws {
        let directory = try ScanTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let installed = """
            C:Q1Yp3ZaaWJpPBtYVtIFRUJDyZMljI=
            P:musl
            V:1.2.4-r2
            A:x86_64
            S:383152
            I:622592
            T:the musl c library (libc) implementation
            U:https://musl.libc.org/
            L:MIT
            o:musl
            m:Timo Teräs <timo.teras@iki.fi>
            F:lib
            R:ld-musl-x86_64.so.1

            C:Q1kDsS8HUhMOaYJEL0b1mXaR5gM3s=
            P:libcrypto3
            V:3.1.4-r1
            A:x86_64
            L:Apache-2.0
            o:openssl
            F:usr/lib
            R:libcrypto.so.3
            this line is not a field
            
            P:no-version
            A:x86_64

            """
        let layer = try CatalogTestLayers.layer([
            .file("etc/os-release", Array("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\n".utf8)),
            .file("lib/apk/db/installed", Array(installed.utf8)),
        ], in: directory)
        let inventory = try ImageCatalog.catalog(layers: [layer])
        // What the database above says.
        #expect(inventory.packages.map { "\($0.name) \($0.version) \($0.architecture ?? "") \($0.licenses) \($0.sourceName ?? "-")" }
                == ["libcrypto3 3.1.4-r1 x86_64 [\"Apache-2.0\"] openssl", "musl 1.2.4-r2 x86_64 [\"MIT\"] -"])
        #expect(inventory.warnings.count == 2, "\(inventory.warnings)")
        if let python = ScanTestSupport.requireVenvPython() {
            let script = "from packageurl import PackageURL\nimport sys\nfor line in sys.stdin.read().splitlines():\n"
                + "    n, v, a = line.split(' ')\n"
                + "    print(PackageURL(type='apk', namespace='alpine', name=n, version=v, qualifiers={'arch': a, 'distro': 'alpine-3.18.4'}).to_string())\n"
            let input = inventory.packages.map { "\($0.name) \($0.version) \($0.architecture ?? "")" }.joined(separator: "\n")
            let result = try ScanTestSupport.run([python, "-c", script], input: Array(input.utf8))
            #expect(String(decoding: result.output, as: UTF8.self).split(separator: "\n").map(String.init) == inventory.packages.map(\.purl))
        }
    }
}
