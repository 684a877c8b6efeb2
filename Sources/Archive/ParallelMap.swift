import Foundation
import Synchronization

/// Work over a list of independent items (layers to measure or list) on up to one thread per core, each thread
/// taking the next item when it is free; results come back in input order, a failure per item.
public enum ParallelMap {
    public static func results<Item: Sendable, Value: Sendable>(
        _ items: [Item], _ work: @escaping @Sendable (Item) throws -> Value
    ) -> [Result<Value, any Error>] {
        guard !items.isEmpty else { return [] }
        let slots = Mutex(ParallelSlots<Value>(results: Array(repeating: nil, count: items.count)))
        let workers = min(items.count, max(ProcessInfo.processInfo.activeProcessorCount, 1))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index: Int = slots.withLock { slots in
                    defer { slots.next += 1 }
                    return slots.next
                }
                guard index < items.count else { return }
                let result = Result { try work(items[index]) }
                slots.withLock { $0.results[index] = result }
            }
        }
        return slots.withLock { $0.results.map { $0! } }
    }
}

/// The results so far and the next item to take.
private struct ParallelSlots<Value> {
    var results: [Result<Value, any Error>?]
    var next = 0
}
