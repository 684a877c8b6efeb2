import Foundation
import Testing
@testable import Transport

/// The in-memory hand-over behind `DiffIDPipe`: bytes arrive whole and in order across threads, the writer waits
/// while the channel is full, and a reader that leaves makes further writes report it.
@Suite struct ByteChannelTests {
    @Test func bytesArriveInOrderAcrossThreads() async throws {
        let channel = ByteChannel()
        let pieces = (0..<64).map { n in (0..<(50_000 + n * 997)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) } }
        let expected = pieces.flatMap { $0 }
        let writer = Thread {
            for piece in pieces { _ = piece.withUnsafeBytes { channel.write($0) } }
            channel.closeWriting()
        }
        writer.start()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 70_000)
        while true {
            let count = buffer.withUnsafeMutableBytes { channel.read(into: $0) }
            if count == 0 { break }
            received += buffer[..<count]
        }
        #expect(received == expected)
    }

    @Test func writesFailOnceTheReaderLeft() {
        let channel = ByteChannel()
        let bytes = [UInt8](repeating: 7, count: 1000)
        #expect(bytes.withUnsafeBytes { channel.write($0) })
        channel.closeReading()
        #expect(!bytes.withUnsafeBytes { channel.write($0) })
    }
}
