#if canImport(Glibc)
import Glibc
#endif
import ChatCore
import ChatProtocol
import ChatStorage
import EventLoop
import Testing
@testable import ChatServer

/// An event heard from the cluster's relay is stored from its bytes and what its frame
/// says (seq, ts, the client's id), without decoding it back: the very bytes, findable
/// by client id for deduplication, promised like any client's message.
struct RelayedEventStoreTests {
    let conversation = ConversationID(4)

    func bytes(_ seq: Int64, from author: Author, id: String?) -> [UInt8] {
        ServerMessage.event(.message(ChatMessage(conversation: "c-1-4", seq: seq, ts: 1_733_000_000_000 + seq, from: author,
                                                 agentName: author == .agent ? "박민지" : nil, text: "안녕 \(seq)",
                                                 clientID: id))).encoded()
    }

    @Test func theRelayCarriesAClientsIDWithItsAuthor() {
        #expect(RelayClientID("c:m-1") == RelayClientID(author: .customer, id: "m-1"))
        #expect(RelayClientID("a:m-1") == RelayClientID(author: .agent, id: "m-1"))
        #expect(RelayClientID(author: .agent, id: "x:y").relayed == "a:x:y")
        #expect(RelayClientID(RelayClientID(author: .customer, id: "c:z").relayed)?.id == "c:z")
        #expect(RelayClientID("d-17-3") == nil, "a decision's id is no client's")
        #expect(RelayClientID(nil) == nil)
    }

    @Test func theDiskStoreKeepsTheBytesAndFindsTheClientID() throws {
        var template = Array("/tmp/switchboard-relayed-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        defer { _ = try? FileManagerless.remove(path) }
        let loop = try EventLoop(id: 0)
        var configuration = StorageConfiguration(directory: path)
        configuration.fsync = .never
        let store = DiskTranscripts(configuration: configuration, domain: loop, health: TranscriptHealth())
        defer { store.close() }
        let first = bytes(1, from: .customer, id: "m-1")
        store.append(relayed: first, seq: 1, ts: 1_733_000_000_001, client: RelayClientID("c:m-1"), to: conversation)
        store.append(relayed: bytes(2, from: .agent, id: nil), seq: 2, ts: 1_733_000_000_002, client: nil, to: conversation)
        #expect(store.lastSeq(of: conversation) == 2)
        #expect(store.log.read(store.key(conversation), after: 0, limit: 1).payloads == [first], "the very bytes")
        #expect(store.message(in: conversation, clientID: "m-1", from: .customer)?.seq == 1)
        #expect(store.message(in: conversation, clientID: "m-1", from: .agent) == nil)
        #expect(store.events(of: conversation, after: 0, limit: 10).events.map(\.ts) == [1_733_000_000_001, 1_733_000_000_002])
    }

    @Test func theMemoryStoreDecodesThem() {
        let store = MemoryTranscripts()
        store.append(relayed: bytes(1, from: .agent, id: "r-1"), seq: 1, ts: 1_733_000_000_001, client: RelayClientID("a:r-1"),
                     to: conversation)
        store.append(relayed: Array("not json".utf8), seq: 2, ts: 1, client: nil, to: conversation)
        #expect(store.lastSeq(of: conversation) == 1, "what does not decode is not stored")
        #expect(store.message(in: conversation, clientID: "r-1", from: .agent)?.text == "안녕 1")
    }
}

/// Removes a test's directory and what is in it.
private enum FileManagerless {
    static func remove(_ path: String) throws {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}
