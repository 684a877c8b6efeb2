/// Byte classes shared by the hand-written grammars.
public enum ASCII {
    @inlinable public static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inlinable public static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7a }
    @inlinable public static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5a }
    @inlinable public static func isAlpha(_ b: UInt8) -> Bool { isLower(b) || isUpper(b) }
    @inlinable public static func isAlnum(_ b: UInt8) -> Bool { isAlpha(b) || isDigit(b) }
    @inlinable public static func isLowerAlnum(_ b: UInt8) -> Bool { isLower(b) || isDigit(b) }
    @inlinable public static func isLowerHex(_ b: UInt8) -> Bool { isDigit(b) || (b >= 0x61 && b <= 0x66) }
    @inlinable public static func isHex(_ b: UInt8) -> Bool { isLowerHex(b) || (b >= 0x41 && b <= 0x46) }
    /// Go regexp `\w`.
    @inlinable public static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5f }
}
