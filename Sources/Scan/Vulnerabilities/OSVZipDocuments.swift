// Hand-written for Strata: the `.json` entries of an OSV zip (osv.dev's `ECOSYSTEM/all.zip`), read one at a time in
// file order through Archive's ZipArchive, so that a zip of hundreds of thousands of records is never held whole.
import Archive
import Foundation

enum OSVZipDocuments {
    /// The largest record accepted (osv.dev's biggest are a few MB: long `versions` lists).
    static let entryLimit = 64 << 20

    /// Calls `body` with each `.json` entry's name and bytes. An entry whose data is damaged (bad CRC, corrupt deflate
    /// data, an unsupported method, larger than `entryLimit`) is handed over as empty bytes, so it counts as one
    /// malformed record; an archive that cannot be opened at all, or a read that fails, throws.
    static func forEach(path: String, _ body: (String, [UInt8]) throws -> Bool) throws {
        let archive: ZipArchive
        do {
            archive = try ZipArchive(path: path)
        } catch let error as ZipArchiveError {
            if error.failure == .systemCall { throw VulnerabilityDatabaseError.invalidSource(path: path, reason: error.message) }
            throw VulnerabilityDatabaseError.invalidArchive(path: path, reason: error.message)
        }
        for entry in archive.entriesInFileOrder where !entry.isDirectory && entry.name.hasSuffix(".json") {
            let bytes: [UInt8]
            do {
                bytes = try archive.read(entry, limit: entryLimit)
            } catch let error as ZipArchiveError where error.failure != .systemCall {
                bytes = []
            } catch let error as ZipArchiveError {
                throw VulnerabilityDatabaseError.invalidSource(path: path, reason: error.message)
            }
            guard try body(entry.name, bytes) else { return }
        }
    }
}
