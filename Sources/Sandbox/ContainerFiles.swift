import Foundation

/// The environment and /etc files docker gives a container.
public enum ContainerFiles {
    /// docker's default PATH for Linux containers.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// dockerd's order: PATH, HOSTNAME (and TERM=xterm with a tty), then the image's Env and the
    /// user's `-e` values replacing or appending; runc appends HOME from passwd when it is unset.
    public static func environment(imageEnv: [String], userEnv: [String], hostname: String, tty: Bool, home: String) -> [String] {
        var env = ["PATH=\(defaultPath)", "HOSTNAME=\(hostname)"]
        if tty { env.append("TERM=xterm") }
        for entry in imageEnv + userEnv { replaceOrAppend(&env, entry) }
        if !env.contains(where: { $0.hasPrefix("HOME=") }) { env.append("HOME=\(home)") }
        return env
    }

    static func replaceOrAppend(_ env: inout [String], _ entry: String) {
        let key = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? entry
        if let index = env.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) {
            env[index] = entry
        } else {
            env.append(entry)
        }
    }

    /// The value of `name` in a KEY=VALUE list.
    public static func value(of name: String, in env: [String]) -> String? {
        env.last { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    /// /etc/hosts of a container on docker's default network (this daemon's bridge has no address line).
    public static func defaultHosts() -> String {
        """
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        ff00::0\tip6-mcastprefix
        ff02::1\tip6-allnodes
        ff02::2\tip6-allrouters

        """
    }

    /// The host's resolv.conf with loopback nameservers dropped (they do not answer inside a
    /// container); Google's resolvers when none are left, as docker does.
    public static func resolvConf(hostFile: String = "/etc/resolv.conf") -> String {
        let text = (try? String(contentsOfFile: hostFile, encoding: .utf8)) ?? ""
        var lines: [String] = []
        var nameservers = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.first == "nameserver", words.count > 1 {
                let address = String(words[1])
                if address.hasPrefix("127.") || address == "::1" { continue }
                nameservers += 1
            }
            lines.append(line)
        }
        var result = lines.joined(separator: "\n")
        if nameservers == 0 {
            if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
            result += "\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        }
        if !result.hasSuffix("\n") { result += "\n" }
        return result
    }

    /// A container ID: 64 random hex digits (docker shows the first 12 as the hostname).
    public static func newContainerID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
