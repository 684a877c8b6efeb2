// Hand-written port of Go's text/tabwriter algorithm (elastic tabstops), which docker's tables use;
// column widths must match Go's byte for byte.

/// Aligns tab-terminated cells into columns exactly like Go's `text/tabwriter.Writer`.
///
/// A cell is text terminated by `\t` (or `\v`); the last cell of a line is not part of a column.
/// A column block is a run of consecutive lines that all have a cell in that column; a line with a
/// single cell ends all blocks (Go flushes there). docker uses `TabWriter.docker`.
public struct TabWriter: Sendable {
    public struct Options: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Right-align cell contents (Go's AlignRight).
        public static let alignRight = Options(rawValue: 1 << 2)
        /// Columns whose cells are all empty get width 0 (Go's DiscardEmptyColumns).
        public static let discardEmptyColumns = Options(rawValue: 1 << 3)
        /// Print a `|` between columns (Go's Debug).
        public static let debug = Options(rawValue: 1 << 5)
    }

    private struct Cell: Sendable {
        var text: String
        var width: Int
        var horizontalTab: Bool
    }

    public let minWidth: Int
    public let tabWidth: Int
    public let padding: Int
    public let padChar: Character
    public let options: Options

    private var lines: [[Cell]] = [[]]
    private var cellText = ""
    private var cellWidth = 0
    private var widths: [Int] = []
    private var output = ""

    private static let maxAlignedColumns = 2000

    public init(minWidth: Int, tabWidth: Int, padding: Int, padChar: Character, options: Options = []) {
        self.minWidth = minWidth
        self.tabWidth = tabWidth
        self.padding = padding
        self.padChar = padChar
        self.options = options
    }

    /// docker CLI's table writer: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
    public static var docker: TabWriter { TabWriter(minWidth: 10, tabWidth: 1, padding: 3, padChar: " ") }

    /// Feeds text; complete blocks are formatted as soon as they end.
    public mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte == 9 || byte == 11 || byte == 10 || byte == 12 else { continue }
                appendToCell(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                let cells = terminateCell(horizontalTab: byte == 9)
                if byte == 10 || byte == 12 {
                    lines.append([])
                    if byte == 12 || cells == 1 {
                        formatBuffered()
                        if byte == 12 && options.contains(.debug) { output += "---\n" }
                    }
                }
            }
            appendToCell(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
    }

    /// Adds text to the open cell; its width is counted in runes, as Go does.
    private mutating func appendToCell(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty else { return }
        cellText += String(decoding: bytes, as: UTF8.self)
        var runes = 0
        for byte in bytes where byte & 0xC0 != 0x80 { runes += 1 }
        cellWidth += runes
    }

    /// Formats everything buffered and returns all output produced so far, clearing it.
    public mutating func flush() -> String {
        if !cellText.isEmpty { _ = terminateCell(horizontalTab: false) }
        formatBuffered()
        defer { output = "" }
        return output
    }

    /// Convenience: format a whole text at once.
    public static func format(_ text: String, using writer: TabWriter = .docker) -> String {
        var writer = writer
        writer.write(text)
        return writer.flush()
    }

    // MARK: - Go's algorithm

    private mutating func terminateCell(horizontalTab: Bool) -> Int {
        lines[lines.count - 1].append(Cell(text: cellText, width: cellWidth, horizontalTab: horizontalTab))
        cellText = ""
        cellWidth = 0
        return lines[lines.count - 1].count
    }

    private mutating func formatBuffered() {
        format(0, lines.count)
        lines = [[]]
        widths = []
    }

    private mutating func format(_ start: Int, _ end: Int) {
        var line0 = start
        let column = widths.count
        guard column < Self.maxAlignedColumns else {
            writeLines(line0, end)
            return
        }
        var this = line0
        while this < end {
            if column >= lines[this].count - 1 {
                this += 1
                continue
            }
            writeLines(line0, this)
            line0 = this
            var width = minWidth
            var discardable = true
            while this < end {
                let line = lines[this]
                if column >= line.count - 1 { break }
                let cell = line[column]
                width = max(width, cell.width + padding)
                if cell.width > 0 || cell.horizontalTab { discardable = false }
                this += 1
            }
            if discardable && options.contains(.discardEmptyColumns) { width = 0 }
            widths.append(width)
            format(line0, this)
            widths.removeLast()
            line0 = this
            this += 1
        }
        writeLines(line0, end)
    }

    private mutating func writeLines(_ start: Int, _ end: Int) {
        guard start < end else { return }
        for i in start..<end {
            for (j, cell) in lines[i].enumerated() {
                if j > 0 && options.contains(.debug) { output += "|" }
                if cell.text.isEmpty {
                    if j < widths.count { writePadding(cell.width, widths[j]) }
                } else if !options.contains(.alignRight) {
                    output += cell.text
                    if j < widths.count { writePadding(cell.width, widths[j]) }
                } else {
                    if j < widths.count { writePadding(cell.width, widths[j]) }
                    output += cell.text
                }
            }
            if i + 1 == lines.count {
                output += cellText  // last buffered line has no newline yet
            } else {
                output += "\n"
            }
        }
    }

    private mutating func writePadding(_ textWidth: Int, _ cellWidth: Int) {
        if padChar == "\t" {
            guard tabWidth > 0 else { return }
            let rounded = (cellWidth + tabWidth - 1) / tabWidth * tabWidth
            let n = rounded - textWidth
            if n > 0 { output += String(repeating: "\t", count: (n + tabWidth - 1) / tabWidth) }
            return
        }
        if cellWidth > textWidth { output += String(repeating: padChar, count: cellWidth - textWidth) }
    }
}
