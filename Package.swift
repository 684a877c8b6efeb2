// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
        .library(name: "OCI", targets: ["OCI"]),
        .library(name: "Archive", targets: ["Archive"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Format", targets: ["Format"]),
        .library(name: "Registry", targets: ["Registry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .target(name: "OCI", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CLzma", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CXattr"),
        .target(name: "Archive", dependencies: [
            "OCI", "CZlib", "CBzip2", "CLzma", "CZstd", "CXattr", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Store", dependencies: ["OCI", "Archive", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Format"),
        .target(name: "Dockerfile", dependencies: ["OCI"]),
        .target(name: "Registry", dependencies: [
            "OCI",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Transport", dependencies: ["OCI", "Archive", "Store", "Registry"]),
        .target(name: "DockerViews", dependencies: ["OCI", "Store", "Format"]),
        .executableTarget(name: "strata", dependencies: [
            "OCI", "Archive", "Store", "Format", "Dockerfile", "DockerViews", "Transport", "Registry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Archive", "OCI"]),
        .testTarget(name: "FormatTests", dependencies: ["Format"]),
        .testTarget(name: "DockerfileTests", dependencies: ["Dockerfile"]),
        .testTarget(name: "DockerViewsTests", dependencies: ["DockerViews", "Format", "OCI", "Store"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "OCI"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Store", "Archive", "OCI"]),
        .testTarget(name: "IntegrationTests", dependencies: ["OCI"]),
    ]
)
