// Hand-written for Strata: the `.json` entries of an OSV zip (osv.dev's `ECOSYSTEM/all.zip`), read one at a time in
// file order through Archive's ZipArchive, so that a zip of hundreds of thousands of records is never held whole.
import Archive
import Foundation

enum OSVZipDocuments {
    /// The largest record accepted (osv.dev's biggest are a few MB: long `versions` lists).
    static let entryLimit = 64 << 20

    /// Opens the archive (its central directory); a file that is not a readable zip is `invalidArchive`.
    static func open(path: String) throws -> ZipArchive {
        do {
            return try ZipArchive(path: path)
        } catch let error as ZipArchiveError {
            if error.failure == .systemCall { throw VulnerabilityDatabaseError.invalidSource(path: path, reason: error.message) }
            throw VulnerabilityDatabaseError.invalidArchive(path: path, reason: error.message)
        }
    }

    /// An entry's bytes. An entry whose data is damaged (bad CRC, corrupt deflate data, an unsupported method, larger
    /// than `entryLimit`) gives empty bytes, so it counts as one malformed record; a read that fails throws.
    static func read(_ entry: ZipEntry, of archive: ZipArchive, path: String) throws -> [UInt8] {
        do {
            return try archive.read(entry, limit: entryLimit)
        } catch let error as ZipArchiveError where error.failure != .systemCall {
            return []
        } catch let error as ZipArchiveError {
            throw VulnerabilityDatabaseError.invalidSource(path: path, reason: error.message)
        }
    }
}
