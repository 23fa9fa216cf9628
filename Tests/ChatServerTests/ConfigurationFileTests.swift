import ChatCore
import Testing
@testable import ChatServer

struct ConfigurationFileTests {
    static let hash = SecretHash(hashing: "s3cret", iterations: 1_000).encoded

    func failure(_ text: String) -> ConfigurationError? {
        do {
            _ = try ConfigurationFile.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func anEmptyFileGivesTheDefaults() throws {
        let configuration = try ConfigurationFile.parse("")
        #expect(configuration.center.queues.map(\.key) == ["orders", "returns", "products", "other"])
        #expect(configuration.center.routing == .direct)
        #expect(configuration.agents.isEmpty)
        #expect(configuration.limits == BrokerLimits())
        #expect(configuration.center.businessHours == .alwaysOpen)
    }

    @Test func everySectionIsRead() throws {
        let configuration = try ConfigurationFile.parse("""
        # A center with two topics.
        [[queues]]
        key = "orders"
        name = "주문/배송"
        english_name = "Orders"
        max_waiting = 50

        [[queues]]
        key = "returns"
        name = "반품"

        [routing]
        mode = "offer"
        offer_timeout_seconds = 15
        reoffer_delay_seconds = 30.5

        [grace]
        customer_seconds = 90
        agent_seconds = 10

        [business_hours]
        time_zone = "Asia/Seoul"
        monday = ["09:00-12:00", "13:00-18:00"]
        friday = ["22:00-02:00"]
        holidays = [2026-01-01, "2026-02-17"]

        [faq]
        threshold = 0.5
        max_suggestions = 2
        [[faq.entries]]
        id = "delivery-time"
        question = "배송은 얼마나 걸리나요?"
        answer = "보통 2~3일 걸립니다."
        keywords = ["배송"]

        [limits]
        max_messages_per_second = 50
        max_text_length = 2000
        max_connections_per_address = 64
        sign_in_queue = 8

        [security]
        allowed_origins = ["https://shop.example"]

        [[agents]]
        handle = "minji.park"
        name = "박민지"
        skills = ["orders"]
        chat_capacity = 4
        voice_capacity = 0
        secret = "\(Self.hash)"

        [[supervisors]]
        login = "lead.choi"
        name = "최팀장"
        secret = "\(Self.hash)"
        """)
        #expect(configuration.center.queues.map(\.key) == ["orders", "returns"])
        #expect(configuration.center.queues[0].maxWaiting == 50)
        #expect(configuration.center.routing == .offer(timeout: .seconds(15)))
        #expect(configuration.center.reofferDelay == .milliseconds(30_500))
        #expect(configuration.center.customerGracePeriod == .seconds(90))
        #expect(configuration.center.agentGracePeriod == .seconds(10))
        let hours = configuration.center.businessHours
        #expect(!hours.isAlwaysOpen)
        #expect(hours.weekly[.monday]?.count == 2)
        #expect(hours.holidays == [LocalDate(year: 2026, month: 1, day: 1)!, LocalDate(year: 2026, month: 2, day: 17)!])
        #expect(configuration.center.faqEntries.map(\.id) == ["delivery-time"])
        #expect(configuration.center.faqThreshold == 0.5)
        #expect(configuration.limits.maxMessagesPerSecond == 50)
        #expect(configuration.limits.messageBurst == 100)
        #expect(configuration.limits.maxConnectionsPerAddress == 64)
        #expect(configuration.limits.signInQueue == 8)
        #expect(configuration.center.maxMessageLength == 2000)
        #expect(configuration.allowedOrigins == ["https://shop.example"])
        #expect(configuration.agents.first?.skills == ["orders"])
        #expect(configuration.agents.first?.capacity == Capacity(chat: 4, voice: 0))
        #expect(configuration.supervisors.first?.login == "lead.choi")
    }

    @Test func theTranscriptsSectionSetsTheStore() throws {
        let c = try ConfigurationFile.parse("""
        [transcripts]
        fsync = "always"
        ring_bytes = 1048576
        segment_bytes = 8388608
        retention_bytes = 1073741824
        retention_days = 30
        max_pending_bytes = 2097152
        """)
        #expect(c.transcripts.fsync == .always)
        #expect(c.transcripts.ringBytes == 1 << 20 && c.transcripts.segmentBytes == 8 << 20)
        #expect(c.transcripts.retentionBytes == 1 << 30 && c.transcripts.retentionSeconds == 30 * 86_400)
        #expect(c.transcripts.maxPendingBytes == 2 << 20)
        #expect(try ConfigurationFile.parse("[transcripts]\nfsync_interval_ms = 20\n").transcripts.fsync == .interval(milliseconds: 20))
        #expect(try ConfigurationFile.parse("").transcripts.fsync == .interval(milliseconds: 5))
        #expect(failure("[transcripts]\nfsync = \"sometimes\"\n")?.key == "transcripts.fsync")
        #expect(failure("[transcripts]\nsegment_bytes = 10\n")?.key == "transcripts.segment_bytes")
        #expect(failure("[transcripts]\ncolour = 1\n") != nil)
    }

    @Test func aSyntaxErrorNamesItsLine() throws {
        let error = try #require(failure("[limits]\nmax_text_length = 10\nbroken = \n"))
        #expect(error.line == 3)
        #expect(error.reason.hasPrefix("TOML syntax"))
    }

    @Test func anUnknownKeyIsRefusedWithItsLine() throws {
        let error = try #require(failure("[limits]\nmax_text_length = 10\nmax_txet_length = 20\n"))
        #expect(error.line == 3)
        #expect(error.key == "limits.max_txet_length")
        #expect(try #require(failure("[limit]\n")).key == "limit")
    }

    @Test func aWrongTypeOrRangeIsRefusedWithItsLine() throws {
        let wrongType = try #require(failure("\n[grace]\ncustomer_seconds = \"a minute\"\n"))
        #expect(wrongType.line == 3)
        #expect(wrongType.key == "grace.customer_seconds")
        let outOfRange = try #require(failure("[limits]\nmax_text_length = 5000\n"))
        #expect(outOfRange.line == 2)
        #expect(outOfRange.reason.contains("4000"))
    }

    @Test func anErrorInTheSecondAgentPointsAtIt() throws {
        let error = try #require(failure("""
        [[agents]]
        handle = "a"
        secret = "\(Self.hash)"

        [[agents]]
        handle = "b"
        skills = ["orders", "shipping"]
        secret = "\(Self.hash)"
        """))
        #expect(error.key == "agents[1].skills[1]")
        #expect(error.line == 7)
        #expect(error.reason.contains("shipping"))
    }

    @Test func aPlainSecretIsRefused() throws {
        let error = try #require(failure("[[agents]]\nhandle = \"a\"\nsecret = \"hunter2\"\n"))
        #expect(error.key == "agents[0].secret")
        #expect(error.line == 3)
        #expect(error.reason.contains("hash-secret"))
    }

    @Test func repeatsAreRefused() throws {
        let agents = try #require(failure("""
        [[agents]]
        handle = "a"
        secret = "\(Self.hash)"
        [[agents]]
        handle = "a"
        secret = "\(Self.hash)"
        """))
        #expect(agents.key == "agents[1].handle")
        #expect(agents.line == 5)
        let queues = try #require(failure("[[queues]]\nkey = \"q\"\n[[queues]]\nkey = \"q\"\n"))
        #expect(queues.line == 4)
    }

    @Test func hoursAreChecked() throws {
        #expect(try #require(failure("[business_hours]\ntime_zone = \"Mars/Olympus\"\n")).line == 2)
        #expect(try #require(failure("[business_hours]\nmonday = [\"9-18\"]\n")).key == "business_hours.monday[0]")
        #expect(try #require(failure("[business_hours]\nalways_open = true\nmonday = [\"09:00-18:00\"]\n")).line == 2)
        #expect(try #require(failure("[business_hours]\nholidays = [\"2026-13-01\"]\n")).line == 2)
    }

    @Test func routingModeIsDirectOrOffer() throws {
        #expect(try #require(failure("[routing]\nmode = \"round-robin\"\n")).key == "routing.mode")
        #expect(try #require(failure("[routing]\noffer_timeout_seconds = 5\n")).key == "routing.offer_timeout_seconds")
    }

    @Test func theDescriptionReadsLineKeyReason() {
        let error = ConfigurationError(line: 7, key: "agents[1].secret", reason: "bad")
        #expect(error.description == "line 7: agents[1].secret: bad")
    }

    /// Issue 15, item 8: `null` (the origin of sandboxed frames and file: pages) is
    /// never an allowed origin, and an entry that no browser would send (a path, a
    /// trailing slash, upper case) is refused rather than silently matching nothing.
    @Test func allowedOriginsAreOriginsAsBrowsersSendThem() throws {
        let configuration = try ConfigurationFile.parse("""
        [security]
        allowed_origins = ["https://shop.example", "http://127.0.0.1:8080", "https://xn--3e0b707e.example:8443", "http://[::1]:9000"]
        """)
        #expect(configuration.allowedOrigins.count == 4)
        for origin in ["null", "*", "https://shop.example/", "https://shop.example/path", "shop.example", "https://Shop.example",
                       "ftp://shop.example", "https://", "https://shop.example:0", "https://shop.example:99999", "https://user@shop.example"] {
            let error = try #require(failure("[security]\nallowed_origins = [\"https://ok.example\", \"\(origin)\"]\n"), "\(origin)")
            #expect(error.key == "security.allowed_origins[1]", "\(origin)")
            #expect(error.line == 2, "\(origin)")
        }
    }

    @Test func cannedRepliesAreReadAndBounded() throws {
        let configuration = try ConfigurationFile.parse("""
        [console]
        canned_replies = ["안녕하세요, 고객님!", "줄바꿈도\\n됩니다"]
        """)
        #expect(configuration.cannedReplies == ["안녕하세요, 고객님!", "줄바꿈도\n됩니다"])
        #expect(try ConfigurationFile.parse("").cannedReplies.isEmpty)
        #expect(failure("[console]\ncanned_replies = [\"\"]")?.key == "console.canned_replies[0]")
        #expect(failure("[console]\ncanned_replies = [\"   \"]")?.key == "console.canned_replies[0]")
        #expect(failure("[console]\ncanned_replies = [\"a\\u0007b\"]")?.key == "console.canned_replies[0]")
        let many = (0...50).map { "\"\($0)\"" }.joined(separator: ", ")
        #expect(failure("[console]\ncanned_replies = [\(many)]")?.key == "console.canned_replies")
        #expect(failure("[console]\ncanned = []")?.key == "console.canned")
    }
}

struct StatisticsConfigurationFileTests {
    @Test func theStatisticsSectionSetsThresholdAndWindows() throws {
        let configuration = try ConfigurationFile.parse("""
        [statistics]
        service_level_seconds = 30
        window_seconds = 600
        window_buckets = 20
        estimator_window_seconds = 120.5
        """)
        #expect(configuration.statistics == StatisticsConfiguration(serviceLevelThreshold: .seconds(30), window: .seconds(600),
                                                                    windowBuckets: 20, serviceRateWindow: .milliseconds(120_500)))
        #expect(try ConfigurationFile.parse("").statistics == StatisticsConfiguration())
    }

    @Test func badStatisticsKeysAreRefusedWithTheirNames() throws {
        for (text, key) in [("[statistics]\nservice_level = 20\n", "statistics.service_level"),
                            ("[statistics]\nwindow_seconds = 0\n", "statistics.window_seconds"),
                            ("[statistics]\nwindow_buckets = 0\n", "statistics.window_buckets"),
                            ("[statistics]\nservice_level_seconds = \"20\"\n", "statistics.service_level_seconds")] {
            var error: ConfigurationError?
            do { _ = try ConfigurationFile.parse(text) } catch let e { error = e }
            #expect(error?.key == key, "\(text)")
        }
    }
}

struct ExampleConfigurationTests {
    @Test func theDocumentedExampleFileLoads() throws {
        let path = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let configuration = try ConfigurationFile.load(path: "/" + path + "/protocol/examples/switchboard.toml")
        #expect(configuration.center.queues.count == 4)
        #expect(configuration.agents.map(\.handle) == ["minji.park", "joon.lee"])
        #expect(configuration.center.faqEntries.count == 3)
        #expect(!configuration.center.businessHours.isAlwaysOpen)
        #expect(configuration.statistics.serviceLevelThreshold == .seconds(20))
        #expect(configuration.cannedReplies.count == 4)
        let minji = try SecretHash(parsing: configuration.agents[0].secret)
        #expect(minji.iterations == 210_000)
        #expect(minji.verify("correct horse battery staple"))
    }
}

