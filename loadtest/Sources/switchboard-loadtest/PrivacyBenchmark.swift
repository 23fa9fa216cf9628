import ArgumentParser
import Privacy

#if canImport(Glibc)
import Glibc
#endif

/// `switchboard-loadtest privacy`: the cost of masking personal numbers
/// (`PersonalDataMasker`, protocol/privacy.md) per message, for the kinds of line a
/// chat carries: plain Korean text, text with an order number, a card number, and a
/// line with a resident number, a phone number and an account. Single thread, as on the
/// broker's domain thread. Prints nanoseconds per message for each.
struct PrivacyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Time the personal-number masker per chat message."
    )

    @Option(help: "Messages masked per kind of line.")
    var messages = 200_000

    static let lines: [(name: String, text: String)] = [
        ("plain text (no digit)", "안녕하세요, 주문한 상품이 아직 도착하지 않았어요. 언제쯤 받을 수 있을까요? 배송 조회가 안 돼요."),
        ("order number and date", "주문번호 20261205-0012345 로 12월 3일에 주문했는데 2개 중 1개만 왔어요."),
        ("card number", "결제한 카드가 4111 1111 1111 1111 인데 취소가 되었는지 확인 부탁드려요."),
        ("rrn, phone and account", "본인확인용 900101-1234568, 연락처 010-1234-5678, 환불 계좌 국민 123456-01-234567 입니다."),
    ]

    func run() {
        let masker = PersonalDataMasker()
        print("privacy: \(messages) messages per line, single thread")
        var sink = 0
        for (name, text) in PrivacyBenchmark.lines {
            for _ in 0..<1_000 { sink &+= masker.mask(text).text.utf8.count }  // warm-up
            let start = DispatchTimeLike.now()
            for _ in 0..<messages { sink &+= masker.mask(text).text.utf8.count }
            let ns = Double(DispatchTimeLike.now() - start) / Double(messages)
            let (masked, found) = masker.mask(text)
            print("  \(name): \(Int(ns.rounded())) ns/msg (\(text.utf8.count) bytes; found \(Array(found).map(\.rawValue)))")
            if !found.isEmpty { print("    -> \(masked)") }
        }
        if sink == 42 { print("") }  // keeps the work observable
    }
}

/// Monotonic nanoseconds (CLOCK_MONOTONIC).
enum DispatchTimeLike {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
