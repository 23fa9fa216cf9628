import ChatCore
import Posix

/// The staff accounts `switchboard serve` makes for itself when started with no
/// configuration file, so that a fresh clone is a working demo at any hour: two agents
/// and a supervisor, each with a random secret, stored PBKDF2-hashed (the
/// configuration file's `[[agents]]` / `[[supervisors]]` form) in `DATA_DIR/staff.toml`.
/// The secrets are shown once, on the start that made them; never a fixed password.
/// Used on the main thread at start-up. Stateless.
public enum DemoStaff {
    /// One account as made: the only time its secret exists outside a hash.
    public struct Account: Sendable {
        public var login: String
        public var name: String
        public var role: String
        public var secret: String
    }

    public static let fileName = "staff.toml"

    /// The accounts in `directory/staff.toml`, made (with random secrets) if the file
    /// does not exist yet. `created` holds the new accounts' secrets, or is empty when
    /// the file was already there. A file that exists but does not read is an error
    /// (the caller stops the start): it is never overwritten.
    public static func prepare(directory: String, iterations: Int = 210_000)
        throws(ConfigurationError) -> (agents: [AgentAccount], supervisors: [SupervisorAccount], created: [Account]) {
        let path = directory + "/" + fileName
        var exists = true
        do throws(PosixError) {
            _ = try File.readWhole(path, limit: 1 << 20)
        } catch where File.isMissing(error) {
            exists = false  // First start: make them below.
        } catch {
            throw ConfigurationError(line: nil, key: nil, reason: "\(path): cannot read: \(error)")
        }
        if exists {
            let configuration = try ConfigurationFile.load(path: path)
            return (configuration.agents, configuration.supervisors, [])
        }
        let accounts = [
            Account(login: "minji.park", name: "박민지", role: "agent", secret: randomSecret()),
            Account(login: "joon.lee", name: "이준", role: "agent", secret: randomSecret()),
            Account(login: "lead.choi", name: "최팀장", role: "supervisor", secret: randomSecret()),
        ]
        let text = fileText(accounts, iterations: iterations)
        do throws(PosixError) {
            try File.replaceWhole(path, with: Array(text.utf8), mode: 0o600)
        } catch {
            throw ConfigurationError(line: nil, key: nil, reason: "\(path): cannot write: \(error)")
        }
        let configuration = try ConfigurationFile.parse(text)
        return (configuration.agents, configuration.supervisors, accounts)
    }

    /// The file: the configuration's own account tables, so that it can be copied into
    /// a configuration file as it is.
    static func fileText(_ accounts: [Account], iterations: Int) -> String {
        var out = """
        # Staff accounts made by `switchboard serve` on its first start without a
        # configuration file. Secrets are stored hashed; they were shown once, at that
        # start. Delete this file to make new ones, or copy these tables into a
        # configuration file (protocol/configuration.md) and use --config.

        """
        for account in accounts {
            let hash = SecretHash(hashing: account.secret, iterations: iterations).encoded
            if account.role == "agent" {
                out += "\n[[agents]]\nhandle = \"\(account.login)\"\nname = \"\(account.name)\"\n"
                out += "skills = [\"orders\", \"returns\", \"products\", \"other\"]\nsecret = \"\(hash)\"\n"
            } else {
                out += "\n[[supervisors]]\nlogin = \"\(account.login)\"\nname = \"\(account.name)\"\nsecret = \"\(hash)\"\n"
            }
        }
        return out
    }

    /// 16 characters in groups of four from an alphabet without look-alikes (no 0/o,
    /// 1/l/i): about 78 bits, typed easily from a terminal.
    static func randomSecret() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        var out = ""
        for i in 0..<16 {
            if i > 0 && i % 4 == 0 { out += "-" }
            out.append(alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))])
        }
        return out
    }
}
