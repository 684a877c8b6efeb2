// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
        .library(name: "GoText", targets: ["GoText"]),
        .library(name: "OCI", targets: ["OCI"]),
        .library(name: "Archive", targets: ["Archive"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Format", targets: ["Format"]),
        .library(name: "DockerViews", targets: ["DockerViews"]),
        .library(name: "Registry", targets: ["Registry"]),
        .library(name: "ImageBuilder", targets: ["ImageBuilder"]),
        .library(name: "ImageService", targets: ["ImageService"]),
        .library(name: "Dockerfile", targets: ["Dockerfile"]),
        .library(name: "Sandbox", targets: ["Sandbox"]),
        .library(name: "Trust", targets: ["Trust"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "Scan", targets: ["Scan"]),
        .library(name: "Analyze", targets: ["Analyze"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
    ],
    targets: [
        .target(name: "GoText"),
        .target(name: "OCI", dependencies: ["GoText", .product(name: "Crypto", package: "swift-crypto")]),
        // isa-l: gzip at several times zlib's speed (igzip), the bulk of pull, build and import time.
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CLzma", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CXattr"),
        .target(name: "Archive", dependencies: [
            "OCI", "CIsal", "CBzip2", "CLzma", "CZstd", "CXattr", .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "Store", dependencies: ["GoText", "OCI", "Archive", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Format", dependencies: ["GoText"]),
        .target(name: "Dockerfile", dependencies: ["OCI", "GoText"]),
        .target(name: "Registry", dependencies: [
            "OCI", "GoText",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // libsodium: scrypt and NaCl secretbox for the encrypted signing-key format cosign and skopeo share.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // Signatures (cosign's tag scheme and Sigstore bundles as referrers), keys and the signature policy.
        .target(name: "Trust", dependencies: [
            "OCI", "GoText", "Registry", "CSodium",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .target(name: "Transport", dependencies: ["OCI", "GoText", "Archive", "Store", "Registry"]),
        // Catalogers, SBOM writers, the OSV vulnerability database and version orderings (sbom, scan).
        .target(name: "Scan", dependencies: [
            "OCI", "GoText", "Archive", "Store", "CIsal",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Layer efficiency and wasted space (dive's measures), per-layer changes and image diff.
        .target(name: "Analyze", dependencies: ["OCI", "GoText", "Archive", "Store"]),
        .target(name: "CSandbox"),
        // libseccomp: compiles docker's seccomp profile format into the BPF filter the sandbox installs.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .target(name: "Sandbox", dependencies: ["CSandbox", "CSeccomp", "OCI", "Archive", "GoText"]),
        .target(name: "ImageBuilder", dependencies: [
            "OCI", "GoText", "Archive", "Store", "Dockerfile", "Sandbox", "Transport", "Registry",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "BuildProgressViews", dependencies: ["ImageBuilder", "Archive"]),
        .target(name: "DockerViews", dependencies: ["GoText", "OCI", "Store", "Format", "Scan", "Analyze"]),
        // The image operations as a library (pull, push, copy, save, load, import, tag, remove, prune, build, run):
        // what the CLI and a server call.
        .target(name: "ImageService", dependencies: [
            "OCI", "GoText", "Archive", "Store", "Registry", "Transport", "Sandbox", "ImageBuilder", "Dockerfile", "Trust",
            "Scan", "Analyze",
        ]),
        .executableTarget(name: "strata", dependencies: [
            "ImageService",
            "OCI", "GoText", "Archive", "Store", "Format", "Dockerfile", "DockerViews", "Transport", "Registry",
            "Sandbox", "ImageBuilder", "BuildProgressViews", "Trust", "Scan", "Analyze",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestKit", path: "Tests/TestKit"),
        .testTarget(name: "OCITests", dependencies: ["OCI", "GoText", "TestKit"]),
        .testTarget(name: "ArchiveTests", dependencies: ["TestKit", "Archive"]),
        .testTarget(name: "ImageServiceTests", dependencies: ["ImageService", "Store", "Transport", "Registry", "Archive", "OCI"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Archive", "GoText", "OCI", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "FormatTests", dependencies: ["TestKit", "Format"]),
        .testTarget(name: "DockerfileTests", dependencies: ["TestKit", "Dockerfile"]),
        .testTarget(name: "DockerViewsTests", dependencies: ["TestKit", "DockerViews", "Format", "GoText", "OCI", "Store"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "GoText", "OCI"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Store", "Archive", "GoText", "OCI", "Registry"]),
        .testTarget(name: "TrustTests", dependencies: ["Trust", "OCI", "GoText"]),
        .testTarget(name: "ScanTests", dependencies: ["TestKit", "Scan", "Archive", "OCI", "Store"], exclude: ["Fixtures"]),
        .testTarget(name: "AnalyzeTests", dependencies: ["Analyze", "Archive", "OCI", "Store"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox"]),
        .testTarget(name: "ImageBuilderTests", dependencies: ["TestKit", "ImageBuilder", "Registry", "Store", "Archive", "GoText", "OCI"]),
        .testTarget(name: "BuildProgressViewsTests", dependencies: ["BuildProgressViews", "ImageBuilder"]),
        .testTarget(name: "IntegrationTests", dependencies: ["OCI"], exclude: ["Fixtures", "BuildOracle"]),
    ]
)
