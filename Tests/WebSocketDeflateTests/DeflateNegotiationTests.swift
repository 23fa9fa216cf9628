import Testing
@testable import WebSocketDeflate

@Suite struct DeflateNegotiationTests {
    let defaults = DeflateConfiguration()

    @Test func acceptsTheBareBrowserOfferAndBoundsTheClientWindow() throws {
        let (parameters, answer) = try #require(DeflateNegotiation.negotiate(offers: ["permessage-deflate; client_max_window_bits"], configuration: defaults))
        #expect(answer == "permessage-deflate; client_max_window_bits=11")
        #expect(parameters.clientMaxWindowBits == 11)
        #expect(!parameters.serverNoContextTakeover)
    }

    @Test func echoesServerNoContextTakeoverAndTheRequestedServerWindow() throws {
        let offer: [Substring] = ["permessage-deflate; server_no_context_takeover; server_max_window_bits=10"]
        let (parameters, answer) = try #require(DeflateNegotiation.negotiate(offers: offer, configuration: defaults))
        #expect(answer == "permessage-deflate; server_no_context_takeover; server_max_window_bits=10")
        #expect(parameters.serverMaxWindowBits == 10)
        #expect(parameters.serverNoContextTakeover)
    }

    @Test func neverAnnouncesAServerWindowTheClientDidNotAskFor() throws {
        let (_, answer) = try #require(DeflateNegotiation.negotiate(offers: ["permessage-deflate"], configuration: defaults))
        #expect(answer == "permessage-deflate")
    }

    @Test func declinesAnOfferWithAnUnknownOrRepeatedParameterAndTakesTheNext() throws {
        let offers: [Substring] = ["permessage-deflate; foo", "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                                   "permessage-deflate; server_max_window_bits=16", "permessage-deflate; client_max_window_bits=7",
                                   "permessage-deflate; server_max_window_bits", "permessage-deflate"]
        let (_, answer) = try #require(DeflateNegotiation.negotiate(offers: offers, configuration: defaults))
        #expect(answer == "permessage-deflate")
        #expect(DeflateNegotiation.negotiate(offers: Array(offers.dropLast()), configuration: defaults) == nil)
    }

    @Test func sharedModeAsksBothSidesToDropTheirContext() throws {
        var configuration = defaults
        configuration.mode = .sharedPerLoop
        let (parameters, answer) = try #require(DeflateNegotiation.negotiate(offers: ["permessage-deflate"], configuration: configuration))
        #expect(answer == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        #expect(parameters.serverNoContextTakeover && parameters.clientNoContextTakeover)
    }

    @Test func disabledDeflateAcceptsNothing() {
        var configuration = defaults
        configuration.enabled = false
        #expect(DeflateNegotiation.negotiate(offers: ["permessage-deflate"], configuration: configuration) == nil)
    }

    @Test func clientAcceptsAValidAnswerAndRejectsAnUnknownParameter() {
        #expect(DeflateNegotiation.clientAccept(["permessage-deflate; server_max_window_bits=9; client_no_context_takeover"])
            == DeflateParameters(clientNoContextTakeover: true, serverMaxWindowBits: 9))
        #expect(DeflateNegotiation.clientAccept(["permessage-deflate; bogus"]) == nil)
        #expect(DeflateNegotiation.clientAccept(["x-webkit-deflate-frame"]) == nil)
    }
}
