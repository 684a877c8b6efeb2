/// Finding and parsing a zip's central directory (hand-written from PKWARE's APPNOTE.TXT 4.3.12-4.3.16 and 4.5.3).
struct ZipCentralDirectory {
    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50

    static let endRecordLength = 22
    static let zip64LocatorLength = 20
    static let zip64EndRecordLength = 56
    static let centralHeaderLength = 46
    static let localHeaderLength: UInt64 = 30

    var entries: [ZipEntry]
    var comment: [UInt8]
    var prependedByteCount: UInt64

    static func read(_ source: ZipByteSource, limits: ZipArchive.Limits) throws -> ZipCentralDirectory {
        let size = source.size
        guard size >= UInt64(endRecordLength) else { throw ZipArchiveError(.notAZip, "zip: not a zip file (too short)") }

        // The end of central directory record is the last 22 bytes plus a comment of up to 65535 bytes, and its
        // signature may also occur inside that comment. So read the largest possible tail and look backwards
        // for the signature, taking the first candidate whose comment length fits what follows it. (A ZIP64
        // locator, 20 bytes, sits just before the record; the tail includes room for it.)
        let tailLength = Int(min(size, UInt64(endRecordLength + 0xFFFF + zip64LocatorLength)))
        let tailStart = size - UInt64(tailLength)
        let tail = try source.read(at: tailStart, count: tailLength, what: "the end of central directory record")
        let tailFields = ZipFields(tail)
        var found: Int?
        var candidate = tailLength - endRecordLength
        while candidate >= 0 {
            if tail[candidate] == 0x50, tail[candidate + 1] == 0x4B, tailFields.u32(candidate) == endSignature,
               candidate + endRecordLength + Int(tailFields.u16(candidate + 20)) <= tailLength {
                found = candidate
                break
            }
            candidate -= 1
        }
        guard let endIndex = found else {
            throw ZipArchiveError(.notAZip, "zip: not a zip file (no end of central directory record)")
        }
        let end = ZipFields(tail, at: endIndex)
        let commentLength = Int(end.u16(20))
        let comment = Array(tail[(endIndex + endRecordLength)..<(endIndex + endRecordLength + commentLength)])
        let endOffset = tailStart + UInt64(endIndex)

        var diskNumber = UInt32(end.u16(4))
        var directoryDisk = UInt32(end.u16(6))
        var entryCount = UInt64(end.u16(10))
        var directorySize = UInt64(end.u32(12))
        var directoryOffset = UInt64(end.u32(16))
        // Where the central directory is known to end: the ZIP64 end record when there is one, else this record.
        var directoryEnd = endOffset

        if endOffset >= UInt64(zip64LocatorLength) {
            let locatorOffset = endOffset - UInt64(zip64LocatorLength)
            let locator = try source.read(at: locatorOffset, count: zip64LocatorLength, what: "the ZIP64 locator")
            let locatorFields = ZipFields(locator)
            if locatorFields.u32(0) == zip64LocatorSignature {
                guard locatorFields.u32(16) <= 1 else {
                    throw ZipArchiveError(.unsupported, "zip: archives that span several disks are not supported")
                }
                let record = try zip64EndRecord(source, locatorOffset: locatorOffset, statedOffset: locatorFields.u64(8))
                let fields = ZipFields(record.bytes)
                diskNumber = fields.u32(16)
                directoryDisk = fields.u32(20)
                entryCount = fields.u64(32)
                directorySize = fields.u64(40)
                directoryOffset = fields.u64(48)
                directoryEnd = record.offset
            }
        }
        guard diskNumber == 0, directoryDisk == 0 else {
            throw ZipArchiveError(.unsupported, "zip: archives that span several disks are not supported")
        }
        guard directorySize <= directoryEnd, directoryOffset <= directoryEnd - directorySize else {
            throw ZipArchiveError(.corrupt, "zip: the central directory's size or offset lies beyond the file")
        }
        // Bytes before the archive proper (a launcher script in front of a jar) shift every offset by the same
        // amount: what lies between the stated end of the directory and where its end record really is.
        let prepended = directoryEnd - directorySize - directoryOffset
        let directoryStart = directoryOffset + prepended
        guard directorySize <= UInt64(Int32.max) else {
            throw ZipArchiveError(.limitExceeded, "zip: the central directory is \(directorySize) bytes, too large")
        }
        guard entryCount <= UInt64(limits.maxEntries) else {
            throw ZipArchiveError(.limitExceeded, "zip: \(entryCount) entries, over the limit of \(limits.maxEntries)")
        }
        let directory = try source.read(at: directoryStart, count: Int(directorySize), what: "the central directory")
        let entries = try parseEntries(directory, directoryStart: directoryStart, prepended: prepended, limits: limits)
        try checkNoOverlap(entries, directoryStart: directoryStart)
        return ZipCentralDirectory(entries: entries, comment: comment, prependedByteCount: prepended)
    }

    /// The ZIP64 end of central directory record: where the locator says, or (when data was prepended and so the
    /// stated offset is off) directly before the locator, where writers put it.
    private static func zip64EndRecord(_ source: ZipByteSource, locatorOffset: UInt64, statedOffset: UInt64) throws
        -> (bytes: [UInt8], offset: UInt64)
    {
        var candidates: [UInt64] = []
        if statedOffset <= locatorOffset, locatorOffset - statedOffset >= UInt64(zip64EndRecordLength) {
            candidates.append(statedOffset)
        }
        if locatorOffset >= UInt64(zip64EndRecordLength) { candidates.append(locatorOffset - UInt64(zip64EndRecordLength)) }
        for offset in candidates {
            let bytes = try source.read(at: offset, count: zip64EndRecordLength, what: "the ZIP64 end record")
            if ZipFields(bytes).u32(0) == zip64EndSignature { return (bytes, offset) }
        }
        throw ZipArchiveError(.corrupt, "zip: corrupt ZIP64 end of central directory record")
    }

    private static func parseEntries(_ directory: [UInt8], directoryStart: UInt64, prepended: UInt64,
                                     limits: ZipArchive.Limits) throws -> [ZipEntry] {
        var entries: [ZipEntry] = []
        var position = 0
        // Walk the directory by its size, not its stated count, as zipfile does (writers that wrapped the 16-bit
        // count past 65535 without ZIP64 are still read).
        while position < directory.count {
            let record = ZipFields(directory, at: position)
            guard record.has(centralHeaderLength, at: 0) else {
                throw ZipArchiveError(.truncated, "zip: truncated central directory")
            }
            guard record.u32(0) == centralHeaderSignature else {
                throw ZipArchiveError(.corrupt, "zip: bad central directory entry signature")
            }
            guard entries.count < limits.maxEntries else {
                throw ZipArchiveError(.limitExceeded, "zip: more than \(limits.maxEntries) entries")
            }
            let nameLength = Int(record.u16(28))
            let extraLength = Int(record.u16(30))
            let commentLength = Int(record.u16(32))
            guard record.has(centralHeaderLength + nameLength + extraLength + commentLength, at: 0) else {
                throw ZipArchiveError(.truncated, "zip: truncated central directory")
            }
            let nameStart = position + centralHeaderLength
            let rawName = Array(directory[nameStart..<(nameStart + nameLength)])
            let flags = record.u16(8)
            let name = ZipEntry.decodeName(rawName, utf8: flags & 0x0800 != 0)

            var uncompressedSize = UInt64(record.u32(24))
            var compressedSize = UInt64(record.u32(20))
            var localOffset = UInt64(record.u32(42))
            let extra = ZipFields(directory, at: nameStart + nameLength)
            try widenZip64(extra: extra, length: extraLength, uncompressed: &uncompressedSize,
                           compressed: &compressedSize, offset: &localOffset, name: name)
            guard localOffset <= directoryStart - prepended else {
                throw ZipArchiveError(.corrupt, "zip: \"\(name)\": local header offset lies beyond the central directory")
            }
            entries.append(ZipEntry(
                index: entries.count, name: name, rawName: rawName, method: ZipEntry.Method(code: record.u16(10)),
                flags: flags, crc32: record.u32(16), compressedSize: compressedSize, uncompressedSize: uncompressedSize,
                localHeaderOffset: localOffset + prepended, versionMadeBy: record.u16(4),
                externalAttributes: record.u32(38), dosDate: record.u16(14), dosTime: record.u16(12)))
            position += centralHeaderLength + nameLength + extraLength + commentLength
        }
        return entries
    }

    /// The ZIP64 extended information extra field (0x0001) holds, in this order, each of the uncompressed size,
    /// compressed size, local header offset and disk number whose 32- or 16-bit field is all ones.
    private static func widenZip64(extra: ZipFields, length: Int, uncompressed: inout UInt64, compressed: inout UInt64,
                                   offset: inout UInt64, name: String) throws {
        var position = 0
        while position + 4 <= length {
            let tag = extra.u16(position)
            let size = Int(extra.u16(position + 2))
            guard position + 4 + size <= length else {
                throw ZipArchiveError(.corrupt, "zip: \"\(name)\": corrupt extra field")
            }
            if tag == 0x0001 {
                var field = position + 4
                let fieldEnd = field + size
                func take() throws -> UInt64 {
                    guard field + 8 <= fieldEnd else {
                        throw ZipArchiveError(.corrupt, "zip: \"\(name)\": corrupt ZIP64 extra field")
                    }
                    defer { field += 8 }
                    return extra.u64(field)
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try take() }
                if compressed == 0xFFFF_FFFF { compressed = try take() }
                if offset == 0xFFFF_FFFF { offset = try take() }
                return
            }
            position += 4 + size
        }
        // All ones without a ZIP64 field are taken literally (a size of 4 GiB - 1 is legal); bounds checks follow.
    }

    /// Each entry's local header, name and compressed data must end before the next entry's header starts and
    /// before the central directory: overlapping entries are how the "better zip bomb" multiplies one kernel.
    private static func checkNoOverlap(_ entries: [ZipEntry], directoryStart: UInt64) throws {
        let ordered = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (position, entry) in ordered.enumerated() {
            let nameLength = UInt64(entry.rawName.count)
            let limit = position + 1 < ordered.count ? ordered[position + 1].localHeaderOffset : directoryStart
            guard entry.compressedSize <= directoryStart,
                  entry.localHeaderOffset + localHeaderLength + nameLength + entry.compressedSize <= limit else {
                let what = position + 1 < ordered.count
                    ? "overlaps \"\(ordered[position + 1].name)\"" : "runs into the central directory"
                throw ZipArchiveError(.corrupt, "zip: \"\(entry.name)\" \(what)")
            }
        }
    }
}
