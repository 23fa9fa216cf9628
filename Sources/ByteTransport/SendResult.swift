/// What became of a message handed to a connection's `send` (uWebSockets' `send`
/// answers the same question). Callers that do not care may ignore it; a fan-out
/// that does can stop feeding a connection that says `backpressured`.
public enum SendResult: Sendable, Equatable {
    /// The bytes reached the kernel within the call.
    case sent
    /// The bytes wait in the loop's cork or the connection's queue and go out at the
    /// end of this loop iteration (one write per connection per iteration).
    case queued
    /// Queued, but the connection's unsent bytes are past the soft limit: its reading
    /// is paused until the peer catches up. Sending more only grows the queue.
    case backpressured
    /// Not sent and never will be: the connection is closing or closed, or this send
    /// pushed it past the hard limit and it was dropped.
    case dropped
}
