import GoText
import OCI

/// Where `strata copy SRC DST` reads or writes an image, parsed from skopeo-style `transport:reference` text by
/// the transport registered for the prefix (``TransportRegistry``).
///
/// The standard transports (skopeo's syntax, errors worded as skopeo 1.9 words them):
/// - `docker://NAME[:TAG|@DIGEST]` — a registry; a name without tag or digest gets `:latest`;
/// - `oci:DIR[:REF]`, `oci-archive:FILE[:REF]` — an OCI layout directory or tar; REF is the
///   `org.opencontainers.image.ref.name` to pick or write;
/// - `docker-archive:FILE[:NAME:TAG|:@INDEX]` — a `docker save` tar; a docker reference (tag required) or the
///   index of an image in its manifest;
/// - `strata:NAME` or a bare `NAME` — the local store (name, ID or digest, resolved as docker resolves them).
///   A bare name whose text before the first `:` is a registered prefix is read as that transport, so a local
///   image called `oci:1` has to be written `strata:oci:1`.
public struct TransportName: Hashable, Sendable, CustomStringConvertible {
    /// The parsed reference, which knows how to open itself.
    public let endpoint: any TransportEndpoint

    public init(endpoint: any TransportEndpoint) { self.endpoint = endpoint }

    /// Which image of a docker-archive: a tagged name, or a position in its `manifest.json` (`:@0`).
    public enum DockerArchiveImage: Hashable, Sendable {
        case reference(ImageReference)
        case index(Int)
    }

    public init(_ text: String, transports: TransportRegistry = .standard) throws(TransportNameError) {
        self = try transports.parse(text)
    }

    public var description: String { endpoint.description }

    public static func == (a: TransportName, b: TransportName) -> Bool { a.endpoint.isEqual(to: b.endpoint) }
    public func hash(into hasher: inout Hasher) { endpoint.hash(into: &hasher) }

    // The standard transports, by the names their references had when this was an enum.
    public static func registry(_ reference: ImageReference) -> TransportName { TransportName(endpoint: RegistryEndpoint(reference: reference)) }
    public static func ociLayout(path: String, reference: String?) -> TransportName {
        TransportName(endpoint: OCILayoutEndpoint(path: path, reference: reference, isArchive: false))
    }
    public static func ociArchive(path: String, reference: String?) -> TransportName {
        TransportName(endpoint: OCILayoutEndpoint(path: path, reference: reference, isArchive: true))
    }
    public static func dockerArchive(path: String, image: DockerArchiveImage?) -> TransportName {
        TransportName(endpoint: DockerArchiveEndpoint(path: path, image: image))
    }
    public static func store(_ name: String) -> TransportName { TransportName(endpoint: StoreEndpoint(name: name)) }
}

/// A parsed `transport:reference`: how it prints, and how it opens as a copy's source or destination.
public protocol TransportEndpoint: Sendable, Hashable, CustomStringConvertible {
    func source(in context: CopyEndpoints) async throws -> any ImageSource
    func destination(in context: CopyEndpoints) throws -> any ImageDestination
    /// The names an image copied here should carry (nil: keep the source's).
    var destinationNames: [ImageReference]? { get }
}

extension TransportEndpoint {
    func isEqual(to other: any TransportEndpoint) -> Bool { (other as? Self) == self }
}

/// One kind of place images live, known by the prefix before the colon.
public protocol ImageTransportKind: Sendable {
    var prefix: String { get }
    /// Parses what follows `prefix:`; `whole` is the text as given.
    func parse(_ rest: String, whole: String) throws(TransportNameError) -> any TransportEndpoint
}

/// The transports `copy` knows, by prefix. A new one is a type of its own, added with `adding(_:)`; nothing
/// else changes.
public struct TransportRegistry: Sendable {
    public private(set) var kinds: [String: any ImageTransportKind] = [:]

    public init(_ kinds: [any ImageTransportKind]) {
        for kind in kinds { self.kinds[kind.prefix] = kind }
    }

    public static let standard = TransportRegistry([
        RegistryTransport(), OCILayoutTransport(isArchive: false), OCILayoutTransport(isArchive: true),
        DockerArchiveTransport(), StoreTransport(),
    ])

    public func adding(_ kind: any ImageTransportKind) -> TransportRegistry {
        var copy = self
        copy.kinds[kind.prefix] = kind
        return copy
    }

    public var prefixes: [String] { kinds.keys.sorted() }

    public func parse(_ text: String) throws(TransportNameError) -> TransportName {
        guard let colon = text.firstIndex(of: ":") else {
            return TransportName(endpoint: try StoreTransport().parse(text, whole: text))
        }
        let prefix = String(text[..<colon])
        if let kind = kinds[prefix] {
            return TransportName(endpoint: try kind.parse(String(text[text.index(after: colon)...]), whole: text))
        }
        // Not a transport: a local name such as `busybox:latest` or `localhost:5000/x`.
        if (try? AnyImageReference(text)) != nil { return .store(text) }
        throw TransportNameError("Invalid image name \"\(text)\", unknown transport \"\(prefix)\"")
    }
}

// MARK: The standard transports

/// `docker://NAME[:TAG|@DIGEST]`.
public struct RegistryTransport: ImageTransportKind {
    public init() {}
    public var prefix: String { "docker" }

    public func parse(_ rest: String, whole: String) throws(TransportNameError) -> any TransportEndpoint {
        guard rest.hasPrefix("//") else {
            throw TransportNameError("docker: image reference \(rest) does not start with //")
        }
        let reference: ImageReference
        do { reference = try ImageReference(String(rest.dropFirst(2))) } catch { throw TransportNameError(String(describing: error)) }
        if reference.tag != nil && reference.digest != nil {
            throw TransportNameError("Docker references with both a tag and digest are currently not supported")
        }
        return RegistryEndpoint(reference: reference.digest == nil ? reference.withDefaultTag() : reference)
    }
}

/// `oci:DIR[:REF]` and `oci-archive:FILE[:REF]`.
public struct OCILayoutTransport: ImageTransportKind {
    public let isArchive: Bool
    public init(isArchive: Bool) { self.isArchive = isArchive }
    public var prefix: String { isArchive ? "oci-archive" : "oci" }

    public func parse(_ rest: String, whole: String) throws(TransportNameError) -> any TransportEndpoint {
        let (path, reference) = TransportName.splitPath(rest)
        if let reference, !reference.isEmpty, !TransportName.isValidOCIRefName(reference) {
            throw TransportNameError("Invalid image \(reference)")
        }
        return OCILayoutEndpoint(path: path, reference: reference?.isEmpty == false ? reference : nil, isArchive: isArchive)
    }
}

/// `docker-archive:FILE[:NAME:TAG|:@INDEX]`.
public struct DockerArchiveTransport: ImageTransportKind {
    public init() {}
    public var prefix: String { "docker-archive" }

    public func parse(_ rest: String, whole: String) throws(TransportNameError) -> any TransportEndpoint {
        if rest.isEmpty {
            throw TransportNameError("docker-archive reference \(rest) isn't of the form <path>[:<reference>]")
        }
        let (path, selector) = TransportName.splitPath(rest)
        guard let selector else { return DockerArchiveEndpoint(path: path, image: nil) }
        if selector.hasPrefix("@") {
            let digits = String(selector.dropFirst())
            guard let index = GoAtoi.parse(digits) else {
                throw TransportNameError("Invalid source index \(selector): strconv.Atoi: parsing \(GoQuote.quote(digits)): "
                    + (GoAtoi.isOutOfRange(digits) ? "value out of range" : "invalid syntax"))
            }
            if index < 0 { throw TransportNameError("Invalid source index @\(index): must not be negative") }
            return DockerArchiveEndpoint(path: path, image: .index(index))
        }
        let reference: ImageReference
        do { reference = try ImageReference(selector) } catch {
            throw TransportNameError("docker-archive parsing reference: \(String(describing: error))")
        }
        if reference.digest != nil {
            throw TransportNameError("reference does not include a tag: \(reference.description)")
        }
        return DockerArchiveEndpoint(path: path, image: .reference(reference.withDefaultTag()))
    }
}

/// `strata:NAME`, or a bare name: the local store.
public struct StoreTransport: ImageTransportKind {
    public init() {}
    public var prefix: String { "strata" }

    public func parse(_ rest: String, whole: String) throws(TransportNameError) -> any TransportEndpoint {
        do { _ = try AnyImageReference(rest) } catch { throw TransportNameError(String(describing: error)) }
        return StoreEndpoint(name: rest)
    }
}

extension TransportName {
    /// Path and optional reference split at the first colon (containers/image on non-Windows).
    static func splitPath(_ text: String) -> (String, String?) {
        guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// containers/image's OCI ref-name grammar: `/`-separated components of alphanumerics joined by one of
    /// `- . _ : @ +` or by `--`.
    static func isValidOCIRefName(_ name: String) -> Bool {
        name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { component in
            var bytes = component.utf8[...]
            func alnumRun() -> Bool {
                let run = bytes.prefix(while: { isASCIIAlnum($0) })
                bytes = bytes.dropFirst(run.count)
                return !run.isEmpty
            }
            guard alnumRun() else { return false }
            while let first = bytes.first {
                if first == UInt8(ascii: "-"), bytes.dropFirst().first == UInt8(ascii: "-") {
                    bytes = bytes.dropFirst(2)
                } else if "-._:@+".utf8.contains(first) {
                    bytes = bytes.dropFirst()
                } else {
                    return false
                }
                guard alnumRun() else { return false }
            }
            return true
        }
    }
}

/// A transport name that does not parse; `description` is skopeo's one-line message.
public struct TransportNameError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Go's `strconv.Atoi` acceptance rules: optional sign, decimal digits, fits in Int64.
enum GoAtoi {
    static func parse(_ text: String) -> Int? {
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    static func isOutOfRange(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) && Int(text) == nil
    }
}

private func isASCIIAlnum(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
}
