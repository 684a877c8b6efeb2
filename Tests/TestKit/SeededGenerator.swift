/// SplitMix64, the seeded generator every test target's generated inputs come from, so a failing case
/// reproduces from its seed. Written here: the standard library has no seedable generator.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound.
    public mutating func next(upTo bound: Int) -> Int { Int(next() % UInt64(bound)) }
    public mutating func below(_ bound: Int) -> Int { next(upTo: bound) }
}
