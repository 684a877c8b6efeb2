/// The kind of a tar entry, from the header's typeflag byte.
public enum TarEntryKind: Sendable, Equatable, Hashable {
    case regular
    case hardLink
    case symbolicLink
    case characterDevice
    case blockDevice
    case directory
    case fifo
    /// Any other typeflag (contiguous files, GNU sparse, vendor extensions); the raw byte is kept.
    case other(UInt8)

    public init(typeflag: UInt8) {
        switch typeflag {
        case UInt8(ascii: "0"), 0: self = .regular
        case UInt8(ascii: "1"): self = .hardLink
        case UInt8(ascii: "2"): self = .symbolicLink
        case UInt8(ascii: "3"): self = .characterDevice
        case UInt8(ascii: "4"): self = .blockDevice
        case UInt8(ascii: "5"): self = .directory
        case UInt8(ascii: "6"): self = .fifo
        default: self = .other(typeflag)
        }
    }

    public var typeflag: UInt8 {
        switch self {
        case .regular: return UInt8(ascii: "0")
        case .hardLink: return UInt8(ascii: "1")
        case .symbolicLink: return UInt8(ascii: "2")
        case .characterDevice: return UInt8(ascii: "3")
        case .blockDevice: return UInt8(ascii: "4")
        case .directory: return UInt8(ascii: "5")
        case .fifo: return UInt8(ascii: "6")
        case .other(let flag): return flag
        }
    }

    /// Entries whose data section is always empty, whatever their size field says (as Go's reader).
    var isHeaderOnly: Bool {
        switch self {
        case .hardLink, .symbolicLink, .characterDevice, .blockDevice, .directory, .fifo: return true
        case .regular, .other: return false
        }
    }
}

/// One tar entry's metadata, as read (after PAX/GNU extensions are applied) or to be written.
public struct TarEntryHeader: Sendable, Equatable {
    public var name: String
    public var kind: TarEntryKind
    /// Logical size of the entry's content (for GNU sparse files, the real size).
    public var size: Int64
    /// Permission bits including setuid/setgid/sticky (no file-type bits).
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    public var userName: String
    public var groupName: String
    /// Seconds since the Unix epoch.
    public var modificationTime: Int64
    public var linkName: String
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// Extended attributes (PAX `SCHILY.xattr.<name>` records).
    public var xattrs: [String: [UInt8]]

    public init(
        name: String, kind: TarEntryKind, size: Int64 = 0, mode: UInt32 = 0o644, uid: Int = 0, gid: Int = 0,
        userName: String = "", groupName: String = "", modificationTime: Int64 = 0, linkName: String = "",
        deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0, xattrs: [String: [UInt8]] = [:]
    ) {
        self.name = name
        self.kind = kind
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.modificationTime = modificationTime
        self.linkName = linkName
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.xattrs = xattrs
    }
}
