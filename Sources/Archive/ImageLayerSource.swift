import OCI

/// One layer of an image as the scanners read it: a descriptor of its blob (any compression), the
/// diffID it must hash to, and the `history` line that made it. Scanners stream the tar; nothing is
/// unpacked to disk.
public struct ImageLayerSource: Sendable {
    public var diffID: Digest
    public var createdBy: String?
    /// The store has already proven that the blob decodes to `diffID` (blobs are content-addressed and checked as
    /// they arrive), so a reader need not hash it again; an unproven layer is hashed in the pass that reads it.
    public var isProven: Bool
    /// Opens the layer blob (compressed or not) for reading; the caller closes the descriptor.
    public var open: @Sendable () throws -> Int32

    public init(diffID: Digest, createdBy: String?, isProven: Bool = false, open: @escaping @Sendable () throws -> Int32) {
        self.diffID = diffID
        self.createdBy = createdBy
        self.isProven = isProven
        self.open = open
    }
}
