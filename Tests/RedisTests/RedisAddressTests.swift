import Testing
@testable import Redis

struct RedisAddressTests {
    @Test func aPlainAddressTakesTheDefaultPort() throws {
        let address = try RedisAddress(url: "redis://127.0.0.1")
        #expect(address == RedisAddress(host: "127.0.0.1", port: 6379))
        #expect(address.description == "127.0.0.1:6379")
    }

    @Test func credentialsPortAndDatabaseAreRead() throws {
        let address = try RedisAddress(url: "redis://ops:s3cr@t@localhost:7000/2")
        #expect(address == RedisAddress(host: "localhost", port: 7000, user: "ops", password: "s3cr@t", database: 2))
        #expect(try RedisAddress(url: "redis://:pw@127.0.0.1:1/").password == "pw")
        #expect(try RedisAddress(url: "redis://[::1]:6380").description == "[::1]:6380")
    }

    @Test(arguments: [
        ("http://127.0.0.1:6379", "expected redis://"),
        ("rediss://127.0.0.1", "not supported"),
        ("redis://127.0.0.1:0", "port"),
        ("redis://127.0.0.1:70000", "port"),
        ("redis://redis.internal:6379", "IP address"),
        ("redis://127.0.0.1:6379/16", "database"),
        ("redis://:6379", "no host"),
    ])
    func badURLsSayWhatIsWrong(url: String, reason: String) {
        #expect {
            _ = try RedisAddress(url: url)
        } throws: { error in
            (error as? RedisAddressError)?.reason.contains(reason) == true
        }
    }

    @Test func theErrorNeverShowsThePassword() {
        do {
            _ = try RedisAddress(url: "redis://:hunter2@redis.internal")
            Issue.record("accepted a name")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
