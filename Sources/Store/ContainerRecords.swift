import Foundation
import GRDB
import OCI

/// A container `run` kept (started without `--rm`): what `ps`, `rm`, `rmi`, `system df` and prune need to know.
public struct StoredContainer: Sendable, Equatable {
    public enum State: String, Sendable {
        case running, exited
    }

    /// 64 hex digits, as docker's container IDs.
    public let id: String
    /// Without docker's leading "/".
    public let name: String
    public let imageID: String
    /// The image as the user named it (`ps` shows it while that name still points at the image).
    public let imageName: String
    public let command: [String]
    public let created: Date
    public var state: State
    public var exitCode: Int32?
    public var finished: Date?
    /// The Strata process that runs it (only meaningful while `state` is running).
    public var ownerPID: Int32?
}

extension ImageStore {
    /// Records a new container before it starts. Without a name one is made up, as docker does; a given name must
    /// be valid and free.
    public func createContainer(id: String, name: String?, imageID: String, imageName: String, command: [String],
                                ownerPID: Int32) throws -> StoredContainer {
        if let name { try ContainerNames.validate(name) }
        return try database.write { db in
            var chosen = name
            if let name {
                if let holder = try String.fetchOne(db, sql: "SELECT id FROM containers WHERE name = ?", arguments: [name]) {
                    throw StoreError.conflict("Conflict. The container name \"/\(name)\" is already in use by container \"\(holder)\". "
                                              + "You have to remove (or rename) that container to be able to reuse that name")
                }
            } else {
                var generator = SystemRandomNumberGenerator()
                for attempt in 0..<64 {
                    let candidate = ContainerNames.random(using: &generator, suffix: attempt >= 16)
                    if try String.fetchOne(db, sql: "SELECT id FROM containers WHERE name = ?", arguments: [candidate]) == nil {
                        chosen = candidate
                        break
                    }
                }
            }
            let container = StoredContainer(id: id, name: chosen ?? String(id.prefix(12)), imageID: imageID, imageName: imageName,
                                            command: command, created: Date(), state: .running, ownerPID: ownerPID)
            let commandJSON = String(decoding: try JSONEncoder().encode(command), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO containers (id, name, image_id, image_name, command, created, state, owner_pid)
                VALUES (?, ?, ?, ?, ?, ?, 'running', ?)
                """, arguments: [id, container.name, imageID, imageName, commandJSON, container.created.timeIntervalSince1970,
                                 ownerPID])
            return container
        }
    }

    /// Marks a container stopped with `exitCode`.
    public func finishContainer(id: String, exitCode: Int32) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE containers SET state = 'exited', exit_code = ?, finished = ?, owner_pid = NULL WHERE id = ?",
                           arguments: [exitCode, Date().timeIntervalSince1970, id])
        }
    }

    /// Every kept container, newest first.
    public func containers() throws -> [StoredContainer] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM containers ORDER BY created DESC").map(Self.container)
        }
    }

    /// A container by full ID, unique ID prefix or name (with or without docker's "/").
    public func resolveContainer(_ given: String) throws -> StoredContainer {
        let name = given.hasPrefix("/") ? String(given.dropFirst()) : given
        return try database.read { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM containers WHERE id = ? OR name = ?", arguments: [given, name]) {
                return try Self.container(row)
            }
            let isHex = !given.isEmpty && given.allSatisfy { $0.isHexDigit && !$0.isUppercase }
            let matches = isHex ? try Row.fetchAll(db, sql: "SELECT * FROM containers WHERE substr(id, 1, ?) = ?",
                                                   arguments: [given.count, given]) : []
            if matches.count > 1 {
                throw StoreError.conflict("Multiple IDs found with provided prefix: \(given)")
            }
            guard let row = matches.first else { throw StoreError.noSuchContainer(given) }
            return try Self.container(row)
        }
    }

    /// Forgets a container (its files are the caller's to remove).
    public func removeContainerRecord(id: String) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM containers WHERE id = ?", arguments: [id])
        }
    }

    /// The IDs of images some kept container uses.
    public func imagesUsedByContainers() throws -> Set<String> {
        try database.read { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT image_id FROM containers")) }
    }

    /// A container using `imageID`, running ones first, for `rmi`'s refusal.
    static func containerUsing(_ db: Database, imageID: String) throws -> StoredContainer? {
        try Row.fetchOne(db, sql: """
            SELECT * FROM containers WHERE image_id = ? ORDER BY state = 'running' DESC, created DESC LIMIT 1
            """, arguments: [imageID]).map(container)
    }

    static func container(_ row: Row) throws -> StoredContainer {
        let commandText: String = row["command"]
        let command = (try? JSONDecoder().decode([String].self, from: Data(commandText.utf8))) ?? []
        let finished: Double? = row["finished"]
        return StoredContainer(id: row["id"], name: row["name"], imageID: row["image_id"], imageName: row["image_name"],
                               command: command, created: Date(timeIntervalSince1970: row["created"]),
                               state: StoredContainer.State(rawValue: row["state"]) ?? .exited, exitCode: row["exit_code"],
                               finished: finished.map { Date(timeIntervalSince1970: $0) }, ownerPID: row["owner_pid"])
    }
}

/// Container names as dockerd checks and makes them.
public enum ContainerNames {
    /// dockerd's rule: a letter or digit, then at least one of letters, digits, `_`, `.`, `-`.
    public static func validate(_ name: String) throws {
        let bytes = Array(name.utf8)
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            let scalar = Character(Unicode.Scalar(byte))
            if scalar.isASCII && (scalar.isLetter || scalar.isNumber) { return true }
            return !first && "_.-".contains(scalar)
        }
        let body = bytes.first == 0x2f ? Array(bytes.dropFirst()) : bytes
        guard body.count >= 2, allowed(body[0], first: true), body.dropFirst().allSatisfy({ allowed($0, first: false) }) else {
            throw StoreError.invalid("Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
    }

    /// `adjective_surname` (surnames of scientists and engineers), with a digit after many collisions.
    static func random(using generator: inout some RandomNumberGenerator, suffix: Bool) -> String {
        let name = adjectives.randomElement(using: &generator)! + "_" + surnames.randomElement(using: &generator)!
        return suffix ? name + String(Int.random(in: 0..<10, using: &generator)) : name
    }

    static let adjectives = [
        "agile", "amber", "bold", "brave", "bright", "calm", "careful", "cheerful", "clever", "cosmic", "crisp", "curious",
        "daring", "eager", "earnest", "elated", "epic", "fair", "fearless", "festive", "fond", "frosty", "gentle", "glad",
        "golden", "graceful", "happy", "hardy", "honest", "hopeful", "humble", "jolly", "keen", "kind", "lively", "loyal",
        "lucid", "merry", "mellow", "modest", "nimble", "noble", "patient", "placid", "polite", "proud", "quick", "quiet",
        "radiant", "rapid", "serene", "sharp", "silent", "sleek", "steady", "sunny", "swift", "tender", "tidy", "upbeat",
        "vivid", "warm", "wise", "witty", "zealous",
    ]
    static let surnames = [
        "agnesi", "babbage", "bardeen", "bohr", "boole", "cannon", "carson", "cerf", "chandra", "curie", "darwin", "dijkstra",
        "einstein", "euler", "faraday", "fermi", "feynman", "franklin", "galileo", "gauss", "goodall", "hamilton", "hawking",
        "hopper", "hypatia", "johnson", "kepler", "knuth", "lamarr", "lovelace", "maxwell", "meitner", "mendel", "mirzakhani",
        "newton", "noether", "pascal", "pasteur", "planck", "raman", "ritchie", "sagan", "shannon", "somerville", "tesla",
        "thompson", "turing", "volta", "wozniak", "yalow",
    ]
}
