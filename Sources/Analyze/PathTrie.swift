/// A tree of path names held in one array (node 0 is the root), each node with a payload: the shape the layer
/// models share. Removing a subtree only unlinks it from its parent, so memory grows with the number of paths ever
/// added, never with file sizes. Not thread-safe (a value type; each computation owns its trie).
struct PathTrie<Payload> {
    struct Node {
        var name: String
        var parent: Int32
        var children: [String: Int32] = [:]
        var payload: Payload
    }

    static var root: Int32 { 0 }

    private(set) var nodes: [Node]

    init(rootPayload: Payload) {
        nodes = [Node(name: "", parent: -1, payload: rootPayload)]
    }

    subscript(node: Int32) -> Payload {
        get { nodes[Int(node)].payload }
        set { nodes[Int(node)].payload = newValue }
    }

    func name(_ node: Int32) -> String { nodes[Int(node)].name }

    func parent(_ node: Int32) -> Int32 { nodes[Int(node)].parent }

    func hasChildren(_ node: Int32) -> Bool { !nodes[Int(node)].children.isEmpty }

    func child(_ node: Int32, named name: some StringProtocol) -> Int32? {
        nodes[Int(node)].children[String(name)]
    }

    /// Adds (or, when the name is taken, returns) the child `name` of `parent`; a new child gets `payload`.
    mutating func child(_ parent: Int32, named name: some StringProtocol, creating payload: @autoclosure () -> Payload) -> Int32 {
        let key = String(name)
        if let existing = nodes[Int(parent)].children[key] { return existing }
        let index = Int32(nodes.count)
        nodes.append(Node(name: key, parent: parent, payload: payload()))
        nodes[Int(parent)].children[key] = index
        return index
    }

    /// The node at a relative slash-separated path ("usr/bin"), or nil.
    func lookup(_ path: some StringProtocol) -> Int32? {
        var node = Self.root
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let next = nodes[Int(node)].children[String(component)] else { return nil }
            node = next
        }
        return node
    }

    /// Unlinks `node` (and so its subtree) from its parent.
    mutating func detach(_ node: Int32) {
        let parent = nodes[Int(node)].parent
        guard parent >= 0 else { return }
        nodes[Int(parent)].children[nodes[Int(node)].name] = nil
    }

    /// Unlinks every child of `node`.
    mutating func detachChildren(_ node: Int32) {
        nodes[Int(node)].children = [:]
    }

    /// The children of `node` ordered by name byte by byte (Go's sort.Strings).
    func sortedChildren(_ node: Int32) -> [Int32] {
        nodes[Int(node)].children.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map(\.value)
    }

    /// The children of `node` in no particular order.
    func children(_ node: Int32) -> Dictionary<String, Int32>.Values { nodes[Int(node)].children.values }

    /// Calls `body` for `node` and every node below it (parents before children; order among siblings unspecified).
    func visitSubtree(_ node: Int32, _ body: (Int32) -> Void) {
        var stack: [Int32] = [node]
        while let current = stack.popLast() {
            body(current)
            stack.append(contentsOf: nodes[Int(current)].children.values)
        }
    }

    /// The relative path of `node` ("usr/bin/ls"; "" for the root).
    func path(_ node: Int32) -> String {
        var names: [String] = []
        var current = node
        while current > 0 {
            names.append(nodes[Int(current)].name)
            current = nodes[Int(current)].parent
        }
        return names.reversed().joined(separator: "/")
    }
}
