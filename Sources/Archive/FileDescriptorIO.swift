#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin retrying wrappers over read(2)/write(2); the ingest path works on raw descriptors so that
/// pipes (stdin) and files behave the same and no Foundation buffering sits in the hot loop. The one copy of
/// these loops for every module above Archive.
public enum FileDescriptorIO {
    /// Reads up to `buffer.count` bytes; returns 0 only at end of input.
    public static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ArchiveError.systemCall("read", errno: errno)
        }
    }

    /// Fills `buffer` unless input ends first; returns the number of bytes read.
    public static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.systemCall("write", errno: errno)
            }
            offset += count
        }
    }
}
