import Format
import GoText

/// `trust inspect` in docker's two shapes: the JSON document (an array, one object per name, indented as docker's
/// inspect output) and `--pretty`'s tables. Plain values in, so that any signature source can feed it.
public enum TrustInspectView {
    public struct Key: Sendable { public var name: String; public var keyIDs: [String]
        public init(name: String, keyIDs: [String]) { self.name = name; self.keyIDs = keyIDs } }
    public struct SignedTag: Sendable { public var tag: String; public var digestHex: String; public var signers: [String]
        public init(tag: String, digestHex: String, signers: [String]) { self.tag = tag; self.digestHex = digestHex; self.signers = signers } }
    public struct Entry: Sendable {
        public var name: String
        public var signedTags: [SignedTag]
        public var signers: [Key]
        public var administrativeKeys: [Key]
        public init(name: String, signedTags: [SignedTag], signers: [Key], administrativeKeys: [Key]) {
            self.name = name
            self.signedTags = signedTags
            self.signers = signers
            self.administrativeKeys = administrativeKeys
        }
    }

    public static func json(_ entries: [Entry]) -> String {
        func keys(_ list: [Key]) -> JSONValue {
            .array(list.map { key in
                .fields(["Name": .string(key.name), "Keys": .array(key.keyIDs.map { .fields(["ID": .string($0)]) })])
            })
        }
        let document = JSONValue.array(entries.map { entry in
            .fields([
                "Name": .string(entry.name),
                "SignedTags": .array(entry.signedTags.map { tag in
                    .fields(["SignedTag": .string(tag.tag), "Digest": .string(tag.digestHex),
                             "Signers": .array(tag.signers.map { .string($0) })])
                }),
                "Signers": keys(entry.signers),
                "AdministrativeKeys": keys(entry.administrativeKeys),
            ])
        })
        return String(decoding: GoJSON.encode(document, indent: "    "), as: UTF8.self) + "\n"
    }

    /// docker's `--pretty` layout for one name.
    public static func pretty(_ entry: Entry) -> String {
        var out = ""
        if entry.signedTags.isEmpty {
            out += "\nNo signatures for \(entry.name)\n\n"
        } else {
            out += "\nSignatures for \(entry.name)\n\n"
            var table = TabWriter(minWidth: 20, tabWidth: 1, padding: 3, padChar: " ")
            table.write("SIGNED TAG\tDIGEST\tSIGNERS\n")
            for tag in entry.signedTags.sorted(by: { $0.tag < $1.tag }) {
                table.write("\(tag.tag)\t\(tag.digestHex)\t\(tag.signers.sorted().joined(separator: ", "))\n")
            }
            out += table.flush()
        }
        if !entry.signers.isEmpty {
            out += "\nList of signers and their keys for \(entry.name)\n\n"
            var table = TabWriter(minWidth: 20, tabWidth: 1, padding: 3, padChar: " ")
            table.write("SIGNER\tKEYS\n")
            for signer in entry.signers.sorted(by: { $0.name < $1.name }) {
                table.write("\(signer.name)\t\(signer.keyIDs.map { String($0.prefix(12)) }.sorted().joined(separator: ", "))\n")
            }
            out += table.flush()
        }
        out += "\nAdministrative keys for \(entry.name)\n\n"
        for key in entry.administrativeKeys.sorted(by: { $0.name > $1.name }) {
            out += "  \(key.name) Key:\t\(key.keyIDs.sorted().joined(separator: ", "))\n"
        }
        return out
    }
}
