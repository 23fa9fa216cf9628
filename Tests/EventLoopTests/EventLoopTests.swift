#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import Posix
import Synchronization
import Testing

/// Cross-thread hand-over: a loop on its own thread runs what other threads give it
/// through `execute`, on its own thread, in order, and `stop` ends `run`.
@Suite struct EventLoopTests {
    /// What the loop thread and its tasks report back to the test thread.
    final class Probe: Sendable {
        let loopThread = Atomic<UInt>(0)
        let runReturned = Atomic<Bool>(false)
        let tasksRun = Atomic<Int>(0)
        let wrongThread = Atomic<Int>(0)
        let order = Mutex<[Int]>([])
    }

    /// Waits up to `seconds` for `condition`, polling; false if it never held.
    static func wait(seconds: Double = 10, until condition: () -> Bool) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        while !condition() {
            if monotonicNanoseconds() > deadline { return false }
            usleepMicroseconds(1000)
        }
        return true
    }

    /// Starts `loop.run()` on a new thread; the probe learns the thread and when run returns.
    static func start(_ loop: EventLoop, _ probe: Probe) throws -> PosixThread {
        try PosixThread(name: "test-loop") {
            probe.loopThread.store(UInt(pthread_self()), ordering: .sequentiallyConsistent)
            loop.run()
            probe.runReturned.store(true, ordering: .sequentiallyConsistent)
        }
    }

    @Test func runsATaskHandedOverFromAnotherThreadOnTheLoopThreadAndStops() throws {
        let loop = try EventLoop(id: 1, readBufferSize: 4096)
        let probe = Probe()
        let thread = try Self.start(loop, probe)
        #expect(Self.wait { probe.loopThread.load(ordering: .sequentiallyConsistent) != 0 })

        loop.execute {
            if UInt(pthread_self()) != probe.loopThread.load(ordering: .sequentiallyConsistent) {
                probe.wrongThread.add(1, ordering: .sequentiallyConsistent)
            }
            probe.tasksRun.add(1, ordering: .sequentiallyConsistent)
        }
        #expect(Self.wait { probe.tasksRun.load(ordering: .sequentiallyConsistent) == 1 }, "the task never ran")
        #expect(probe.wrongThread.load(ordering: .sequentiallyConsistent) == 0, "the task ran off the loop thread")
        #expect(UInt(pthread_self()) != probe.loopThread.load(ordering: .sequentiallyConsistent))

        loop.stop()
        let stopped = Self.wait { probe.runReturned.load(ordering: .sequentiallyConsistent) }
        #expect(stopped, "run did not return after stop")
        if stopped { thread.join() }
    }

    /// A task the loop queues for itself (the broker's domain on its only I/O loop does,
    /// at every hop) writes no eventfd, so the loop must look at its queue again before
    /// it waits: a chain of such hops finishes at once, not one 250 ms tick per hop, and
    /// each hop runs after the task that queued it has returned, never inside it.
    @Test func tasksTheLoopQueuesForItselfRunSoonAndNeverInsideTheirCaller() throws {
        let loop = try EventLoop(id: 2, readBufferSize: 4096)
        let probe = Probe()
        let insideCaller = Atomic<Bool>(false)
        let ranInsideCaller = Atomic<Int>(0)
        let hops = 12
        @Sendable func hop(_ n: Int) {
            if insideCaller.load(ordering: .sequentiallyConsistent) { ranInsideCaller.add(1, ordering: .sequentiallyConsistent) }
            probe.order.withLock { $0.append(n) }
            guard n < hops else { return }
            insideCaller.store(true, ordering: .sequentiallyConsistent)
            loop.execute { hop(n + 1) }
            insideCaller.store(false, ordering: .sequentiallyConsistent)
        }
        let thread = try Self.start(loop, probe)
        #expect(Self.wait { probe.loopThread.load(ordering: .sequentiallyConsistent) != 0 })
        // Let the loop go to sleep in epoll_wait first, so only the first hand-over wakes it.
        usleepMicroseconds(50_000)
        let started = monotonicNanoseconds()
        loop.execute { hop(1) }
        #expect(Self.wait { probe.order.withLock { $0.count } == hops }, "the chain stalled")
        let elapsedMs = (monotonicNanoseconds() - started) / 1_000_000
        // Waiting for the tick at each hop would take 12 × 250 ms = 3 s.
        #expect(elapsedMs < 1_500, "\(hops) hops took \(elapsedMs) ms: a hop waited for the tick")
        #expect(probe.order.withLock { $0 } == Array(1...hops))
        #expect(ranInsideCaller.load(ordering: .sequentiallyConsistent) == 0)
        loop.stop()
        #expect(Self.wait { probe.runReturned.load(ordering: .sequentiallyConsistent) })
        thread.join()
    }

    /// A task the loop will never run is let go: kept, it could hold what holds the loop
    /// (the broker's desk does), and nothing of either would ever be freed.
    @Test func tasksLeftOrHandedOverAfterRunReturnsAreReleased() throws {
        final class Token: Sendable {}
        let loop = try EventLoop(id: 5, readBufferSize: 4096)
        let probe = Probe()
        weak var queuedBeforeStop: Token?
        weak var handedOverAfter: Token?
        do {
            let early = Token(), late = Token()
            queuedBeforeStop = early
            handedOverAfter = late
            loop.stop()
            loop.execute { _ = early }  // queued behind the stop: never runs
            let thread = try Self.start(loop, probe)
            #expect(Self.wait { probe.runReturned.load(ordering: .sequentiallyConsistent) })
            thread.join()
            loop.execute { _ = late }
        }
        #expect(queuedBeforeStop == nil)
        #expect(handedOverAfter == nil)
        #expect(probe.tasksRun.load(ordering: .sequentiallyConsistent) == 0)
    }

    @Test func runsTasksFromSeveralThreadsEachInTheOrderGiven() throws {
        let loop = try EventLoop(id: 2, readBufferSize: 4096)
        let probe = Probe()
        let thread = try Self.start(loop, probe)
        let producers = try (0..<3).map { producer in
            try PosixThread(name: "test-producer") {
                for index in 0..<200 {
                    loop.execute { probe.order.withLock { $0.append(producer * 1000 + index) } }
                }
            }
        }
        for producer in producers { producer.join() }
        #expect(Self.wait { probe.order.withLock { $0.count } == 600 }, "not every task ran")
        let order = probe.order.withLock { $0 }
        for producer in 0..<3 {
            #expect(order.filter { $0 / 1000 == producer } == (0..<200).map { producer * 1000 + $0 })
        }
        loop.stop()
        let stopped = Self.wait { probe.runReturned.load(ordering: .sequentiallyConsistent) }
        #expect(stopped, "run did not return after stop")
        if stopped { thread.join() }
    }

    @Test func runsTasksHandedOverBeforeTheLoopStarted() throws {
        let loop = try EventLoop(id: 3, readBufferSize: 4096)
        let probe = Probe()
        loop.execute { probe.tasksRun.add(1, ordering: .sequentiallyConsistent) }
        let thread = try Self.start(loop, probe)
        #expect(Self.wait { probe.tasksRun.load(ordering: .sequentiallyConsistent) == 1 }, "the early task never ran")
        loop.stop()
        let stopped = Self.wait { probe.runReturned.load(ordering: .sequentiallyConsistent) }
        #expect(stopped, "run did not return after stop")
        if stopped { thread.join() }
    }

    @Test func stopFromAnotherThreadEndsAnIdleLoopWithoutWaitingForATick() throws {
        let loop = try EventLoop(id: 4, readBufferSize: 4096)
        let probe = Probe()
        let thread = try Self.start(loop, probe)
        #expect(Self.wait { probe.loopThread.load(ordering: .sequentiallyConsistent) != 0 })
        usleepMicroseconds(20_000)  // let it block in epoll_wait
        let before = monotonicNanoseconds()
        loop.stop()
        let stopped = Self.wait { probe.runReturned.load(ordering: .sequentiallyConsistent) }
        #expect(stopped, "run did not return after stop")
        // The eventfd wakes the loop at once; without it, run would return only when the
        // 250 ms epoll timeout that began about 20 ms ago ran out.
        #expect(monotonicNanoseconds() - before < 200_000_000)
        if stopped { thread.join() }
    }

    @Test func stopBeforeRunMakesRunReturnAtOnce() throws {
        let loop = try EventLoop(id: 5, readBufferSize: 4096)
        let probe = Probe()
        loop.stop()
        let thread = try Self.start(loop, probe)
        let stopped = Self.wait { probe.runReturned.load(ordering: .sequentiallyConsistent) }
        #expect(stopped, "run did not return")
        if stopped { thread.join() }
    }
}
