import ByteBuffers
import Testing
@testable import WebSocketDeflate

@Suite struct CompressorTests {
    @Test func compressesHelloAsRFC7692Shows() throws {
        // RFC 7692 §7.2.3.1: "Hello" -> 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00.
        let compressor = Compressor(windowBits: 15, memoryLevel: 8, level: 6)
        let output = ByteBuffer()
        try Array("Hello".utf8).withUnsafeBytes { try compressor.compress($0, into: output, reset: true) }
        #expect(output.bytes == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    }

    @Test func inflatesTheRFCExample() throws {
        let decompressor = Decompressor(windowBits: 15)
        let output = ByteBuffer()
        try ([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00] as [UInt8]).withUnsafeBytes { try decompressor.decompress($0, into: output, limit: 100, reset: false) }
        #expect(output.bytes == Array("Hello".utf8))
    }

    @Test func roundTripsKoreanTextWithContextTakeoverAcrossMessages() throws {
        let compressor = Compressor(windowBits: 12, memoryLevel: 5, level: 6)
        let decompressor = Decompressor(windowBits: 15)
        let messages = ["배송이 언제 오나요? 주문번호 2026-1125", "배송은 내일 도착합니다. 감사합니다!", "배송이 언제 오나요? 주문번호 2026-1125"]
        var sizes: [Int] = []
        for message in messages {
            let compressed = ByteBuffer(), inflated = ByteBuffer()
            try Array(message.utf8).withUnsafeBytes { try compressor.compress($0, into: compressed, reset: false) }
            sizes.append(compressed.count)
            try decompressor.decompress(UnsafeRawBufferPointer(compressed.readable), into: inflated, limit: 1 << 20, reset: false)
            #expect(String(decoding: inflated.bytes, as: UTF8.self) == message)
        }
        // The repeated message refers back to the first: context takeover at work.
        #expect(sizes[2] < sizes[0])
    }

    @Test func aCompressionBombStopsAtTheLimit() throws {
        let compressor = Compressor(windowBits: 15, memoryLevel: 8, level: 9)
        let bomb = ByteBuffer()
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        try zeros.withUnsafeBytes { try compressor.compress($0, into: bomb, reset: true) }
        #expect(bomb.count < 64 * 1024)
        let decompressor = Decompressor(windowBits: 15)
        let output = ByteBuffer()
        #expect(throws: DeflateError.tooBig(limit: 1 << 20)) {
            try decompressor.decompress(UnsafeRawBufferPointer(bomb.readable), into: output, limit: 1 << 20, reset: true)
        }
        #expect(output.count <= (1 << 20) + 1)
    }

    @Test func corruptDataIsReportedNotCrashed() {
        let decompressor = Decompressor(windowBits: 15)
        let output = ByteBuffer()
        #expect(throws: DeflateError.self) {
            try ([0xFF, 0xFF, 0xFF, 0xFF, 0x00] as [UInt8]).withUnsafeBytes { try decompressor.decompress($0, into: output, limit: 1000, reset: true) }
        }
    }

    @Test func eightBitWindowsUseNoBackReferences() throws {
        // zlib cannot compress with a 256-byte window; Huffman-only output must still
        // inflate with an 8-bit window.
        let compressor = Compressor(windowBits: 8, memoryLevel: 5, level: 6)
        let text = Array(String(repeating: "상품 문의 product question ", count: 200).utf8)
        let compressed = ByteBuffer(), inflated = ByteBuffer()
        try text.withUnsafeBytes { try compressor.compress($0, into: compressed, reset: false) }
        let decompressor = Decompressor(windowBits: 8)
        try decompressor.decompress(UnsafeRawBufferPointer(compressed.readable), into: inflated, limit: 1 << 20, reset: false)
        #expect(inflated.bytes == text)
    }
}
