import Archive
import Foundation

/// Where a signing key's passphrase comes from: `STRATA_TRUST_PASSPHRASE` (or docker's
/// `DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE`, or cosign's `COSIGN_PASSWORD` for a key being imported), else the
/// terminal, read with echo off. It is never taken from argv and never printed.
enum Passphrase {
    static let environmentNames = ["STRATA_TRUST_PASSPHRASE", "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE"]

    static func fromEnvironment(includingCosign: Bool = false) -> [UInt8]? {
        let environment = ProcessInfo.processInfo.environment
        for name in environmentNames + (includingCosign ? ["COSIGN_PASSWORD"] : []) {
            if let value = environment[name] { return Array(value.utf8) }
        }
        return nil
    }

    /// A passphrase for an existing key.
    static func existing(prompt: String, includingCosign: Bool = false) throws -> [UInt8] {
        if let value = fromEnvironment(includingCosign: includingCosign) { return value }
        return try readFromTerminal(prompt)
    }

    /// A passphrase for a new key: asked twice on a terminal, and it must not be empty.
    static func new(prompt: String, repeatPrompt: String) throws -> [UInt8] {
        if let value = fromEnvironment() {
            guard !value.isEmpty else { throw CLIError(message: "Error: the passphrase must not be empty") }
            return value
        }
        let first = try readFromTerminal(prompt)
        guard !first.isEmpty else { throw CLIError(message: "Error: the passphrase must not be empty") }
        let second = try readFromTerminal(repeatPrompt)
        guard first == second else { throw CLIError(message: "Error: passphrases do not match") }
        return first
    }

    private static func readFromTerminal(_ prompt: String) throws -> [UInt8] {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CLIError(message: "Error: no terminal to ask for the passphrase: set STRATA_TRUST_PASSPHRASE")
        }
        defer { close(fd) }
        var saved = termios()
        let haveTermios = tcgetattr(fd, &saved) == 0
        if haveTermios {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer { if haveTermios { _ = tcsetattr(fd, TCSAFLUSH, &saved) } }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = FileDescriptorIO.retryingInterrupts { read(fd, &byte, 1) }
            if count <= 0 || byte == UInt8(ascii: "\n") { break }
            if byte != UInt8(ascii: "\r") { line.append(byte) }
        }
        return line
    }
}
