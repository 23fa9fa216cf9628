import Redis
import Testing
@testable import ChatServer

private func word(_ text: String) -> RESPValue { RESPValue.bulk(Array(text.utf8)) }

/// The heartbeat script's answer as the membership reads it, and the cluster's
/// configuration and status document. The script itself runs against a real Redis in
/// Tests/interop/test_cluster.py.
struct ClusterMembershipTests {
    @Test func aHeartbeatReplyGivesTheLeaseAndEveryNode() throws {
        let reply = RESPValue.array([
            .integer(1_800_000_000_000), word("east@k3x 7"), .integer(2_400), word("1799999999000 1700000000000 old1 127.0.0.1:8081"),
            .array([word("east"), word("1800000000000 1700000000000 k3x 127.0.0.1:8081"),
                    word("west"), word("1799999998000 1700000000500 p9 [::1]:8082")]),
        ])
        let beat = try #require(Heartbeat(reply))
        #expect(beat.redisNow == 1_800_000_000_000)
        #expect(beat.holderIdentity == "east@k3x" && beat.holderName == "east" && beat.epoch == 7)
        #expect(beat.leaseMilliseconds == 2_400)
        #expect(beat.previous?.instance == "old1" && beat.previous?.seen == 1_799_999_999_000)
        #expect(beat.nodes == [
            Heartbeat.Entry(name: "east", seen: 1_800_000_000_000, started: 1_700_000_000_000, instance: "k3x", address: "127.0.0.1:8081"),
            Heartbeat.Entry(name: "west", seen: 1_799_999_998_000, started: 1_700_000_000_500, instance: "p9", address: "[::1]:8082"),
        ])
    }

    @Test func noHolderAndAFirstBeatReadToo() throws {
        let beat = try #require(Heartbeat(.array([.integer(5), .bulk(nil), .integer(-2), .bulk(nil), .array([])])))
        #expect(beat.holderIdentity == nil && beat.holderName == nil && beat.leaseMilliseconds == 0)
        #expect(beat.previous == nil && beat.nodes.isEmpty)
    }

    @Test(arguments: [
        RESPValue.array([.integer(5)]),
        .array([.integer(5), word("east@x notanumber"), .integer(1), .bulk(nil), .array([])]),
        .array([.integer(5), .bulk(nil), .integer(1), .bulk(nil), .array([word("lonely")])]),
        .array([.integer(5), .bulk(nil), .integer(1), .bulk(nil), .array([word("n"), word("garbage")])]),
        .simple("OK"),
    ])
    func aReplyOfAnotherShapeIsRefused(reply: RESPValue) {
        #expect(Heartbeat(reply) == nil)
    }

    @Test func nodeNamesAreCheckedWithAReason() {
        #expect(ClusterConfiguration.problem(withNodeName: "node-1.eu_west") == nil)
        #expect(ClusterConfiguration.problem(withNodeName: "")?.contains("1 to 64") == true)
        #expect(ClusterConfiguration.problem(withNodeName: String(repeating: "a", count: 65))?.contains("1 to 64") == true)
        #expect(ClusterConfiguration.problem(withNodeName: "a b")?.contains("letters, digits") == true)
        #expect(ClusterConfiguration.problem(withNodeName: "노드")?.contains("letters, digits") == true)
        #expect(ClusterConfiguration.problem(withNodeName: ClusterConfiguration.defaultNodeName) == nil)
    }

    @Test func theClusterSectionIsRead() throws {
        let configuration = try ConfigurationFile.parse("""
        [cluster]
        redis = "redis://:pw@127.0.0.1:6380/1"
        node_name = "east"
        lease_timeout_seconds = 2.5
        key_prefix = "shop:eu"
        """)
        #expect(configuration.cluster.redis == RedisAddress(host: "127.0.0.1", port: 6380, password: "pw", database: 1))
        #expect(configuration.cluster.nodeName == "east")
        #expect(configuration.cluster.leaseTimeout == .milliseconds(2_500))
        #expect(configuration.cluster.keyPrefix == "shop:eu")
        #expect(try ConfigurationFile.parse("").cluster.redis == nil, "no section: a single node")
    }

    @Test(arguments: [
        ("[cluster]\nredis = \"redis://db.internal\"\n", 2, "IP address"),
        ("[cluster]\nnode_name = \"a/b\"\n", 2, "letters, digits"),
        ("[cluster]\nlease_timeout_seconds = 0.5\n", 2, "from 1"),
        ("[cluster]\nredis_url = \"redis://127.0.0.1\"\n", 2, "unknown key"),
    ])
    func aBadClusterSectionNamesTheLine(text: String, line: Int, reason: String) {
        #expect {
            _ = try ConfigurationFile.parse(text)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.line == line && error.description.contains(reason)
        }
    }

    @Test func aSingleNodeDescribesItselfAsTheWholeCluster() {
        let json = ClusterStatus.single(node: "solo").json()
        #expect(json == """
        {"mode":"single","node":"solo","redis":null,"lease":{"holder":"solo","epoch":0,"held_here":true},\
        "nodes":[{"name":"solo","seen_ms_ago":0,"alive":true}]}

        """)
        #expect(ClusterStatus.single(node: "solo").unhealthyReason == nil)
    }

    @Test func aClusteredNodeIsUnhealthyWhileItsLinkIsDownAndSaysWhy() {
        let status = ClusterStatus(figures: .init(clustered: true, node: "east", redis: "127.0.0.1:6379", link: "down",
                                                  linkReason: "cannot connect: \"refused\"", leaseTimeoutMilliseconds: 3_000))
        #expect(status.unhealthyReason == "cluster link to Redis 127.0.0.1:6379 is down: cannot connect: \"refused\"")
        let json = status.json()
        #expect(json.contains(#""reason":"cannot connect: \"refused\"""#), "text in the document is escaped")
        #expect(json.contains(#""round_trip_ms":null"#))
        status.figures.withLock { $0.link = "up" }
        #expect(status.unhealthyReason == nil)
    }
}
