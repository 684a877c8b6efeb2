import GoText
import OCI

/// Where `strata copy SRC DST` reads or writes an image, parsed from skopeo-style `transport:reference` text.
///
/// Accepted forms (skopeo's syntax, errors worded as skopeo 1.9 words them):
/// - `docker://NAME[:TAG|@DIGEST]` — a registry; a name without tag or digest gets `:latest`;
/// - `oci:DIR[:REF]`, `oci-archive:FILE[:REF]` — an OCI layout directory or tar; REF is the
///   `org.opencontainers.image.ref.name` to pick or write;
/// - `docker-archive:FILE[:NAME:TAG|:@INDEX]` — a `docker save` tar; a docker reference (tag required) or the
///   index of an image in its manifest;
/// - `strata:NAME` or a bare `NAME` — the local store (name, ID or digest, resolved as docker resolves them).
///   A bare name whose text before the first `:` is one of the transport names above is read as that transport,
///   so a local image called `oci:1` has to be written `strata:oci:1`.
public enum TransportName: Hashable, Sendable, CustomStringConvertible {
    case registry(ImageReference)
    case ociLayout(path: String, reference: String?)
    case ociArchive(path: String, reference: String?)
    case dockerArchive(path: String, image: DockerArchiveImage?)
    /// The name as given; it parses as an `AnyImageReference` (short ID prefixes parse as names).
    case store(String)

    /// Which image of a docker-archive: a tagged name, or a position in its `manifest.json` (`:@0`).
    public enum DockerArchiveImage: Hashable, Sendable {
        case reference(ImageReference)
        case index(Int)
    }

    /// The transport prefixes Strata handles.
    public static let transportNames = ["docker", "oci", "oci-archive", "docker-archive", "strata"]

    public init(_ text: String) throws(TransportNameError) {
        guard let colon = text.firstIndex(of: ":") else {
            self = try Self.store(text, whole: text)
            return
        }
        let transport = String(text[..<colon])
        let rest = String(text[text.index(after: colon)...])
        switch transport {
        case "docker": self = try Self.registry(rest)
        case "oci", "oci-archive":
            let (path, reference) = Self.splitPath(rest)
            if let reference, !reference.isEmpty, !Self.isValidOCIRefName(reference) {
                throw TransportNameError("Invalid image \(reference)")
            }
            let ref = reference?.isEmpty == false ? reference : nil
            self = transport == "oci" ? .ociLayout(path: path, reference: ref) : .ociArchive(path: path, reference: ref)
        case "docker-archive": self = try Self.dockerArchive(rest)
        case "strata": self = try Self.store(rest, whole: text)
        default:
            // Not a transport: a local name such as `busybox:latest` or `localhost:5000/x`.
            if (try? AnyImageReference(text)) != nil {
                self = .store(text)
            } else {
                throw TransportNameError("Invalid image name \"\(text)\", unknown transport \"\(transport)\"")
            }
        }
    }

    public var description: String {
        switch self {
        case .registry(let reference): "docker://" + reference.description
        case .ociLayout(let path, let reference): "oci:" + path + (reference.map { ":" + $0 } ?? "")
        case .ociArchive(let path, let reference): "oci-archive:" + path + (reference.map { ":" + $0 } ?? "")
        case .dockerArchive(let path, nil): "docker-archive:" + path
        case .dockerArchive(let path, .reference(let reference)?): "docker-archive:" + path + ":" + reference.description
        case .dockerArchive(let path, .index(let index)?): "docker-archive:" + path + ":@\(index)"
        case .store(let name): "strata:" + name
        }
    }

    // MARK: Parts

    private static func registry(_ rest: String) throws(TransportNameError) -> TransportName {
        guard rest.hasPrefix("//") else {
            throw TransportNameError("docker: image reference \(rest) does not start with //")
        }
        let reference: ImageReference
        do { reference = try ImageReference(String(rest.dropFirst(2))) } catch { throw TransportNameError(String(describing: error)) }
        if reference.tag != nil && reference.digest != nil {
            throw TransportNameError("Docker references with both a tag and digest are currently not supported")
        }
        return .registry(reference.digest == nil ? reference.withDefaultTag() : reference)
    }

    private static func dockerArchive(_ rest: String) throws(TransportNameError) -> TransportName {
        if rest.isEmpty {
            throw TransportNameError("docker-archive reference \(rest) isn't of the form <path>[:<reference>]")
        }
        let (path, selector) = splitPath(rest)
        guard let selector else { return .dockerArchive(path: path, image: nil) }
        if selector.hasPrefix("@") {
            let digits = String(selector.dropFirst())
            guard let index = GoAtoi.parse(digits) else {
                throw TransportNameError("Invalid source index \(selector): strconv.Atoi: parsing \(GoQuote.quote(digits)): "
                    + (GoAtoi.isOutOfRange(digits) ? "value out of range" : "invalid syntax"))
            }
            if index < 0 { throw TransportNameError("Invalid source index @\(index): must not be negative") }
            return .dockerArchive(path: path, image: .index(index))
        }
        let reference: ImageReference
        do { reference = try ImageReference(selector) } catch {
            throw TransportNameError("docker-archive parsing reference: \(String(describing: error))")
        }
        if reference.digest != nil {
            throw TransportNameError("reference does not include a tag: \(reference.description)")
        }
        return .dockerArchive(path: path, image: .reference(reference.withDefaultTag()))
    }

    private static func store(_ name: String, whole: String) throws(TransportNameError) -> TransportName {
        do { _ = try AnyImageReference(name) } catch { throw TransportNameError(String(describing: error)) }
        return .store(name)
    }

    /// Path and optional reference split at the first colon (containers/image on non-Windows).
    private static func splitPath(_ text: String) -> (String, String?) {
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
