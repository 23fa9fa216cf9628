// Commands as values: the road a command log takes into the engine.

extension ContactCenter {
    /// Runs `command` through the method it names, at the clock's current time, and
    /// returns what it gave. Never throws: a refusal is an outcome like any other,
    /// because a replica must record it exactly as the others do.
    public func apply(_ command: CenterCommand) -> CommandOutcome {
        do throws(ChatError) {
            switch command {
            case .addAgent(let profile):
                return .applied(notices: [], created: .agent(try addAgent(profile)))
            case .setStatus(let agent, let status):
                return .applied(notices: try setStatus(agent, status), created: nil)
            case .agentDisconnected(let agent):
                return .applied(notices: try agentDisconnected(agent), created: nil)
            case .agentReconnected(let agent):
                return .applied(notices: try agentReconnected(agent), created: nil)
            case .acceptOffer(let offer, let agent):
                return .applied(notices: try acceptOffer(offer, by: agent), created: nil)
            case .declineOffer(let offer, let agent):
                return .applied(notices: try declineOffer(offer, by: agent), created: nil)
            case .agentReplied(let conversation, let agent):
                return .applied(notices: try agentReplied(in: conversation, by: agent), created: nil)
            case .endConversation(let conversation, let agent):
                return .applied(notices: try endConversation(conversation, by: agent), created: nil)
            case .transfer(let conversation, let target, let agent):
                return .applied(notices: try transfer(conversation, to: target, by: agent), created: nil)
            case .customerArrives(let request):
                let (contact, notices) = try customerArrives(request)
                return .applied(notices: notices, created: .contact(contact))
            case .resolveWithFAQ(let contact, let entryID):
                return .applied(notices: try resolveWithFAQ(contact, entryID: entryID), created: nil)
            case .continueAfterFAQ(let contact):
                return .applied(notices: try continueAfterFAQ(contact), created: nil)
            case .leaveMessage(let contact, let text, let replyTo):
                let (email, notices) = try leaveMessage(after: contact, text: text, replyTo: replyTo)
                return .applied(notices: notices, created: .contact(email))
            case .restoreMessage(let request, let text):
                let (email, notices) = restoreMessage(request, text: text)
                return .applied(notices: notices, created: .contact(email))
            case .customerLeaves(let contact):
                return .applied(notices: try customerLeaves(contact), created: nil)
            case .customerDisconnected(let contact):
                return .applied(notices: try customerDisconnected(contact), created: nil)
            case .customerReconnected(let contact):
                return .applied(notices: try customerReconnected(contact), created: nil)
            case .rate(let conversation, let contact, let score, let comment):
                return .applied(notices: try rate(conversation, by: contact, score: score, comment: comment), created: nil)
            case .fireDueTimers:
                return .applied(notices: fireDueTimers(), created: nil)
            }
        } catch {
            return .refused(error)
        }
    }
}
