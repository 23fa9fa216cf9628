import ChatServer

/// What `serve` with no configuration file prints once it listens: what to open and
/// how to sign in. The secrets appear only on the start that made them. Stateless.
enum DemoBanner {
    static func text(base: String, dataDirectory: String, created: [DemoStaff.Account], logins: [(String, String)]) -> String {
        let file = dataDirectory + "/" + DemoStaff.fileName
        let agents = logins.filter { $0.1 == "agent" }.map(\.0)
        let supervisors = logins.filter { $0.1 == "supervisor" }.map(\.0)
        var out = "\nNo configuration file: a demo, open around the clock, with the default queues.\n"
        if created.isEmpty {
            out += "Staff accounts are in \(file) (agents \(agents.joined(separator: ", ")); supervisor "
                + "\(supervisors.joined(separator: ", "))). Their secrets were shown on the start that made them; "
                + "delete the file and start again for new ones.\n"
        } else {
            out += "Staff accounts made in \(file) (stored hashed; the secrets are shown only this once):\n"
            for account in created {
                out += "  \(account.role.padding(11))\(account.login.padding(12)) secret: \(account.secret)\n"
            }
        }
        out += """
        Open in a browser:
          \(base)/            the shop page with the chat widget (play the customer)
          \(base)/console     agents: sign in as \(agents.joined(separator: " or ")) with the secret
          \(base)/dashboard   supervisors: sign in as \(supervisors.joined(separator: ", "))
        For your own queues, hours and accounts: --config FILE (protocol/configuration.md).

        """
        return out
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
