#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// The one EINTR-safe layer over read(2)/write(2) (and their positioned forms) for every module above Archive, built
/// on swift-system's `FileDescriptor`, which retries interrupted calls. The ingest path works on raw descriptors so
/// that pipes (stdin) and files behave the same and no Foundation buffering sits in the hot loop. `what` names the
/// operation in the error (`write blob: No space left on device`).
public enum FileDescriptorIO {
    /// Reads up to `buffer.count` bytes; returns 0 only at end of input.
    public static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, what: String = "read") throws -> Int {
        do { return try FileDescriptor(rawValue: fd).read(into: buffer) } catch let error as Errno {
            throw ArchiveError.systemCall(what, errno: error.rawValue)
        }
    }

    /// Reads up to `buffer.count` bytes at `offset` (pread); returns 0 only past the end.
    public static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64,
                                what: String = "read") throws -> Int {
        do { return try FileDescriptor(rawValue: fd).read(fromAbsoluteOffset: offset, into: buffer) } catch let error as Errno {
            throw ArchiveError.systemCall(what, errno: error.rawValue)
        }
    }

    /// Fills `buffer` unless input ends first; returns the number of bytes read.
    public static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, what: String = "read") throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), what: what)
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Everything up to end of input (small inputs: a file's text, a pipe's output).
    public static func readAll(_ fd: Int32, what: String = "read") throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try readSome(fd, into: $0, what: what) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, what: String = "write") throws {
        do { _ = try FileDescriptor(rawValue: fd).writeAll(bytes) } catch let error as Errno {
            throw ArchiveError.systemCall(what, errno: error.rawValue)
        }
    }

    /// Writes all of `bytes` at `offset` (pwrite).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, what: String = "write") throws {
        do { _ = try FileDescriptor(rawValue: fd).writeAll(toAbsoluteOffset: offset, bytes) } catch let error as Errno {
            throw ArchiveError.systemCall(what, errno: error.rawValue)
        }
    }

    /// Runs a system call again while it fails with EINTR; returns its last result, with `errno` set when that is
    /// negative. For the calls the functions above do not cover (a write that must see EPIPE, a typed error).
    @inlinable
    public static func retryingInterrupts<Result: SignedInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}
