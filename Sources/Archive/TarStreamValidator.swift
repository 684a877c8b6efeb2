/// Incremental tar reader that validates structure as bytes stream through it, without buffering
/// entry data: header checksums and numeric fields, PAX ('x'/'g') and GNU long-name ('L'/'K')
/// extensions, old-GNU sparse headers, truncation, and the end-of-archive marker.
///
/// Acceptance follows Go's archive/tar as docker uses it on import: the stream may end at an entry
/// boundary (or inside the padding after an entry) without the two zero blocks; ending inside a
/// header or entry data is `unexpectedEOF`; bytes after the end marker are not examined.
/// It also computes docker's layer size (see `contentSize`).
public final class TarStreamValidator {
    /// What a finished stream contained.
    public struct Summary: Sendable, Equatable {
        /// Entries excluding PAX/GNU extension headers (including global PAX headers).
        public var entryCount: Int
        /// The size docker reports for the layer (overlay2: apparent size of what is unpacked).
        public var contentSize: Int64
        /// Whether the two zero blocks were seen.
        public var reachedEndMarker: Bool
        /// Total bytes fed in, including anything after the end marker.
        public var byteCount: Int64
    }

    private enum State {
        case header
        case secondZeroBlock
        case sparseExtension(dataSize: Int64)
        case data
        case padding
        case special(SpecialKind)
        case finished
    }

    private enum SpecialKind { case pax, globalPax, longName, longLink }

    /// Go's maxSpecialFileSize: PAX and GNU long-name payloads above this are rejected.
    static let maxSpecialFileSize = 1 << 20

    private var state = State.header
    private let block = UnsafeMutableRawBufferPointer.allocate(byteCount: TarHeaderBlock.size, alignment: 8)
    private var blockFill = 0
    private var remaining: Int64 = 0
    private var paddingAfterSpecial = 0
    private var paddingAfterData: Int64 = 0
    private var special: [UInt8] = []
    private var pendingPax: [String: [UInt8]] = [:]
    private var pendingLongName: [UInt8]?
    private var pendingLongLink: [UInt8]?
    private var offset: Int64 = 0
    private var failure: ArchiveError?
    private var contentSizes = ContentSizeLedger()
    private let onEntry: ((TarEntryHeader) -> Void)?

    public private(set) var entryCount = 0
    /// The entry being read (for error messages); nil between entries.
    public private(set) var currentEntryName: String?

    /// - Parameter onEntry: called with each entry's header as it is parsed (tests, listings).
    public init(onEntry: ((TarEntryHeader) -> Void)? = nil) {
        self.onEntry = onEntry
        block.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { block.deallocate() }

    /// True once the end-of-archive marker has been read; later bytes are only counted.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Feeds the next bytes of the stream. Throws at the first structural error, and again on every later call.
    public func consume(_ bytes: UnsafeRawBufferPointer) throws {
        if let failure { throw failure }
        do {
            try consumeUnchecked(bytes)
        } catch let error as ArchiveError {
            failure = error
            throw error
        }
    }

    /// Declares the end of the stream and returns the summary, or throws if it ended mid-entry.
    public func finish() throws -> Summary {
        if let failure { throw failure }
        var acceptedEnd: Bool
        switch state {
        case .header, .secondZeroBlock: acceptedEnd = blockFill == 0
        case .padding, .finished: acceptedEnd = true
        case .data, .special, .sparseExtension: acceptedEnd = false
        }
        if case .header = state, blockFill > 0 { currentEntryName = nil }
        guard acceptedEnd else {
            let error = ArchiveError.unexpectedEOF(entry: currentEntryName)
            failure = error
            throw error
        }
        return Summary(
            entryCount: entryCount, contentSize: contentSizes.total, reachedEndMarker: isFinished, byteCount: offset)
    }

    /// Validates a whole in-memory tar (fuzzing, tests).
    public static func validate(
        _ bytes: UnsafeRawBufferPointer, onEntry: ((TarEntryHeader) -> Void)? = nil
    ) throws -> Summary {
        let validator = TarStreamValidator(onEntry: onEntry)
        try validator.consume(bytes)
        return try validator.finish()
    }

    public static func validate(_ bytes: [UInt8], onEntry: ((TarEntryHeader) -> Void)? = nil) throws -> Summary {
        try bytes.withUnsafeBytes { try validate($0, onEntry: onEntry) }
    }

    private func consumeUnchecked(_ bytes: UnsafeRawBufferPointer) throws {
        var position = 0
        while position < bytes.count {
            let available = bytes.count - position
            switch state {
            case .finished:
                offset += Int64(available)
                return
            case .data, .padding:
                let step = Int(min(Int64(available), remaining))
                position += step
                offset += Int64(step)
                remaining -= Int64(step)
                if remaining == 0, case .data = state, paddingAfterData > 0 {
                    remaining = paddingAfterData
                    state = .padding
                } else if remaining == 0 {
                    state = .header
                    currentEntryName = nil
                }
            case .special(let kind):
                let step = Int(min(Int64(available), remaining))
                special.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + step)]))
                position += step
                offset += Int64(step)
                remaining -= Int64(step)
                if remaining == 0 {
                    try finishSpecial(kind)
                    remaining = Int64(paddingAfterSpecial)
                    state = remaining > 0 ? .padding : .header
                }
            case .header, .secondZeroBlock, .sparseExtension:
                let step = min(available, TarHeaderBlock.size - blockFill)
                (block.baseAddress! + blockFill).copyMemory(from: bytes.baseAddress! + position, byteCount: step)
                blockFill += step
                position += step
                offset += Int64(step)
                if blockFill == TarHeaderBlock.size {
                    blockFill = 0
                    try processBlock()
                }
            }
        }
    }

    private var blockOffset: Int64 { offset - Int64(TarHeaderBlock.size) }

    private func processBlock() throws {
        let header = UnsafeRawBufferPointer(block)
        switch state {
        case .secondZeroBlock:
            guard TarHeaderBlock.isZero(header) else { throw ArchiveError.invalidHeader(offset: blockOffset) }
            state = .finished
        case .sparseExtension(let dataSize):
            var parser = NumericParser()
            for entry in 0..<21 {
                let base = entry * 24
                if header[base] == 0 { break }
                _ = parser.numeric(header, base..<(base + 12))
                _ = parser.numeric(header, (base + 12)..<(base + 24))
            }
            if parser.failed { throw ArchiveError.invalidHeader(offset: blockOffset) }
            if header[504] == 0 { startData(dataSize) }
        default:
            if TarHeaderBlock.isZero(header) {
                state = .secondZeroBlock
                return
            }
            try processHeader(header)
        }
    }

    private func startData(_ size: Int64) {
        remaining = size
        paddingAfterData = Self.padding(size)
        state = remaining > 0 ? .data : .header
        if remaining == 0 { currentEntryName = nil }
    }

    static func padding(_ size: Int64) -> Int64 { (512 - size % 512) % 512 }

    private func processHeader(_ header: UnsafeRawBufferPointer) throws {
        let headerOffset = blockOffset
        guard let format = TarHeaderBlock.format(of: header) else {
            throw ArchiveError.invalidHeader(offset: headerOffset)
        }
        typealias Field = TarHeaderBlock.Field
        var parser = NumericParser()
        var name = TarHeaderBlock.string(header, Field.name)
        let typeflag = header[Field.typeflag]
        var entry = TarEntryHeader(
            name: "", kind: TarEntryKind(typeflag: typeflag),
            size: parser.numeric(header, Field.size),
            mode: UInt32(truncatingIfNeeded: parser.numeric(header, Field.mode)),
            uid: Int(parser.numeric(header, Field.uid)),
            gid: Int(parser.numeric(header, Field.gid)),
            modificationTime: parser.numeric(header, Field.modificationTime),
            linkName: TarHeaderBlock.string(header, Field.linkName))
        if format != .v7 {
            entry.userName = TarHeaderBlock.string(header, Field.userName)
            entry.groupName = TarHeaderBlock.string(header, Field.groupName)
            entry.deviceMajor = UInt32(truncatingIfNeeded: parser.numeric(header, Field.deviceMajor))
            entry.deviceMinor = UInt32(truncatingIfNeeded: parser.numeric(header, Field.deviceMinor))
            var prefix = ""
            switch format {
            case .ustar: prefix = TarHeaderBlock.string(header, Field.ustarPrefix)
            case .star:
                prefix = TarHeaderBlock.string(header, Field.starPrefix)
                _ = parser.numeric(header, 476..<488)
                _ = parser.numeric(header, 488..<500)
            case .gnu, .v7: break
            }
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        entry.name = name
        guard !parser.failed, entry.size >= 0 else { throw ArchiveError.invalidHeader(offset: headerOffset) }
        let storedSize = entry.kind.isHeaderOnly ? 0 : entry.size

        switch typeflag {
        case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
            guard storedSize <= Int64(Self.maxSpecialFileSize) else {
                throw ArchiveError.headerFieldTooLong(offset: headerOffset)
            }
            let kind: SpecialKind =
                switch typeflag {
                case UInt8(ascii: "x"): .pax
                case UInt8(ascii: "g"): .globalPax
                case UInt8(ascii: "L"): .longName
                default: .longLink
                }
            special.removeAll(keepingCapacity: true)
            remaining = storedSize
            paddingAfterSpecial = Int(Self.padding(storedSize))
            currentEntryName = name
            if storedSize == 0 {
                try finishSpecial(kind)
                remaining = 0
                state = .header
            } else {
                state = .special(kind)
            }
            return
        default:
            break
        }

        var logicalSize = entry.size
        try applyPax(&entry, &logicalSize)
        if let longName = pendingLongName { entry.name = Self.cString(longName) }
        if let longLink = pendingLongLink { entry.linkName = Self.cString(longLink) }
        pendingPax = [:]
        pendingLongName = nil
        pendingLongLink = nil
        if typeflag == 0 && entry.name.hasSuffix("/") { entry.kind = .directory }
        guard entry.size >= 0 else { throw ArchiveError.invalidHeader(offset: headerOffset) }
        let dataSize = entry.kind.isHeaderOnly ? 0 : entry.size

        var extended = false
        if typeflag == UInt8(ascii: "S") {
            guard format == .gnu else { throw ArchiveError.invalidHeader(offset: headerOffset) }
            logicalSize = parser.numeric(header, Field.gnuRealSize)
            for index in 0..<4 {
                let base = Field.gnuSparseEntries + index * 24
                if header[base] == 0 { break }
                _ = parser.numeric(header, base..<(base + 12))
                _ = parser.numeric(header, (base + 12)..<(base + 24))
            }
            guard !parser.failed, logicalSize >= 0 else { throw ArchiveError.invalidHeader(offset: headerOffset) }
            extended = header[Field.gnuIsExtended] != 0
            entry.size = logicalSize
        }

        entryCount += 1
        currentEntryName = entry.name
        contentSizes.record(entry, logicalSize: logicalSize)
        onEntry?(entry)
        if extended {
            state = .sparseExtension(dataSize: dataSize)
        } else {
            startData(dataSize)
        }
    }

    /// Go's mergePAX plus the GNU sparse name/size records; empty values keep the header's value.
    private func applyPax(_ entry: inout TarEntryHeader, _ logicalSize: inout Int64) throws {
        guard !pendingPax.isEmpty else { return }
        let invalid = ArchiveError.invalidHeader(offset: blockOffset)
        for (key, value) in pendingPax where !value.isEmpty {
            let text = { String(decoding: value, as: UTF8.self) }
            switch key {
            case "path": entry.name = text()
            case "linkpath": entry.linkName = text()
            case "uname": entry.userName = text()
            case "gname": entry.groupName = text()
            case "uid":
                guard let id = PaxRecords.integer(value) else { throw invalid }
                entry.uid = Int(id)
            case "gid":
                guard let id = PaxRecords.integer(value) else { throw invalid }
                entry.gid = Int(id)
            case "mtime":
                guard let seconds = PaxRecords.seconds(value) else { throw invalid }
                entry.modificationTime = seconds
            case "atime", "ctime":
                guard PaxRecords.seconds(value) != nil else { throw invalid }
            case "size":
                guard let size = PaxRecords.integer(value) else { throw invalid }
                entry.size = size
            default:
                if key.hasPrefix("SCHILY.xattr.") { entry.xattrs[String(key.dropFirst(13))] = value }
            }
        }
        logicalSize = entry.size
        if let sparseName = pendingPax["GNU.sparse.name"] { entry.name = String(decoding: sparseName, as: UTF8.self) }
        if let real = pendingPax["GNU.sparse.realsize"] ?? pendingPax["GNU.sparse.size"] {
            guard let size = PaxRecords.integer(real), size >= 0 else { throw invalid }
            logicalSize = size
        }
    }

    private func finishSpecial(_ kind: SpecialKind) throws {
        switch kind {
        case .pax, .globalPax:
            guard let records = PaxRecords.parse(special) else {
                throw ArchiveError.invalidHeader(offset: offset - Int64(special.count))
            }
            if case .pax = kind {
                pendingPax = records
            } else {
                // Go returns a global header as a pseudo-entry (which docker skips), dropping any
                // pending extensions and never applying it to later entries.
                pendingPax = [:]
                pendingLongName = nil
                pendingLongLink = nil
            }
        case .longName: pendingLongName = special
        case .longLink: pendingLongLink = special
        }
        currentEntryName = nil
    }

    private static func cString(_ bytes: [UInt8]) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
