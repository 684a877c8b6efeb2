// A fast 64-bit fingerprint of file contents, fed as the tar streams by. It only has to tell equal files
// (same size, same fingerprint) from different ones for the duplicate-content measure, where a chance collision
// costs a wrong "duplicate bytes" figure, not a wrong verdict; the image diff uses SHA-256 instead. Four
// independent lanes keep the multiplier busy: each 8-byte word is xored into a rotated lane and multiplied by an
// odd constant (a bijection of the lane), so the loop runs at memory speed on one core.

/// A streaming 64-bit content fingerprint (not cryptographic).
struct ContentFingerprint {
    private static let multiplier: UInt64 = 0x9FB2_1C65_1E98_DF25
    private static let seeds: (UInt64, UInt64, UInt64, UInt64) =
        (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89)

    private var lanes = ContentFingerprint.seeds
    private var pending: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var pendingCount = 0
    private var length: UInt64 = 0

    init() {}

    @inline(__always)
    private static func step(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        ((lane &<< 27 | lane &>> 37) ^ word) &* multiplier
    }

    mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        length &+= UInt64(buffer.count)
        var offset = 0
        let count = buffer.count
        if pendingCount > 0 {
            let taken = min(32 - pendingCount, count)
            withUnsafeMutableBytes(of: &pending) { stash in
                stash.baseAddress!.advanced(by: pendingCount).copyMemory(from: base, byteCount: taken)
            }
            pendingCount += taken
            offset = taken
            guard pendingCount == 32 else { return }
            absorb(pending.0, pending.1, pending.2, pending.3)
            pendingCount = 0
        }
        var (a, b, c, d) = lanes
        while count - offset >= 32 {
            let p = base.advanced(by: offset)
            a = Self.step(a, p.loadUnaligned(as: UInt64.self))
            b = Self.step(b, p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            c = Self.step(c, p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            d = Self.step(d, p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            offset += 32
        }
        lanes = (a, b, c, d)
        if offset < count {
            pending = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &pending) { stash in
                stash.baseAddress!.copyMemory(from: base.advanced(by: offset), byteCount: count - offset)
            }
            pendingCount = count - offset
        }
    }

    private mutating func absorb(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        lanes = (Self.step(lanes.0, w0), Self.step(lanes.1, w1), Self.step(lanes.2, w2), Self.step(lanes.3, w3))
    }

    /// The fingerprint of everything fed so far.
    func finalize() -> UInt64 {
        var tail = pending
        if pendingCount < 32 {
            // Bytes past the pending count are zero; the length below tells "ab" from "ab\0".
            withUnsafeMutableBytes(of: &tail) { stash in
                for index in pendingCount..<32 { stash[index] = 0 }
            }
        }
        var hash = length &* Self.multiplier
        for lane in [lanes.0, lanes.1, lanes.2, lanes.3, tail.0, tail.1, tail.2, tail.3] {
            hash = Self.mix(hash ^ Self.mix(lane)) &* Self.multiplier
        }
        return Self.mix(hash)
    }

    /// A full-avalanche 64-bit finalizer (xor-shift, multiply, twice).
    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }
}
