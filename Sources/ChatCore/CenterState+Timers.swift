// Time-driven work: offer expiry, grace periods, the end of re-offer delays, and the
// opening and closing of business hours.

extension CenterState {
    /// When `fireDueTimers()` should next be called (nil: nothing scheduled). It may be
    /// earlier than any real work (timers are not cancelled); calling early is harmless.
    public var nextDeadline: Instant? {
        switch (deadlines.next, hoursDeadline) {
        case let (a?, b?): min(a, b)
        case let (a, b): a ?? b
        }
    }

    /// See `ContactCenter.fireDueTimers`.
    mutating func fireDueTimers() -> [Notice] {
        checkBusinessHours()
        while let event = deadlines.popDue(now) {
            fire(event)
        }
        return finish()
    }

    private mutating func fire(_ event: TimerEvent) {

        let now = self.now
        switch event {
        case .offerExpires(let offer):
            withdrawOffer(offer, .expired, requeue: true)
        case .customerGraceEnds(let id, let generation):
            guard let c = contacts[id], c.disconnectedAt != nil, c.disconnectGeneration == generation else { return }
            end(id, abandon: .timedOut, conversationReason: .customerTimedOut, offerReason: .customerLeft)
        case .agentGraceEnds(let id, let generation):
            guard agents[id.index].droppedAt != nil, agents[id.index].dropGeneration == generation else { return }
            goOffline(id)
        case .exclusionEnds(let id):
            guard let c = contacts[id], !c.exclusions.isEmpty else { return }
            modifyContact(id) { $0.exclusions.removeAll { $0.until <= now } }
            syncBlocked(id)
            if case .waiting = c.state { routableContacts.append(id) }
        }
    }

    private mutating func checkBusinessHours() {
        let hours = configuration.businessHours
        guard !hours.isAlwaysOpen else { return }
        let open = hours.isOpen(at: wallNow)
        let changed = open != hoursOpen
        if changed {
            hoursOpen = open
            if !open {
                for i in configuration.queues.indices { closeOutQueue(QueueID(Int32(i)), .closed) }
            }
        }
        if changed || (hoursDeadline.map { $0 <= now } ?? false) { scheduleHoursChange() }
    }

    /// Turns the next change of business hours (wall time) into a monotonic deadline.
    /// A step of the wall clock is noticed at the next check.
    mutating func scheduleHoursChange() {
        let wall = wallNow
        guard let next = configuration.businessHours.nextChange(after: wall) else {
            hoursDeadline = nil
            return
        }
        let delay = max(0, next.millisecondsSince1970 - wall.millisecondsSince1970)
        hoursDeadline = Instant(milliseconds: now.milliseconds + delay)
    }
}
