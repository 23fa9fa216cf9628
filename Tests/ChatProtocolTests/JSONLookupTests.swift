import Testing
@testable import ChatProtocol

/// Numbers by key path out of a JSON object (the load tester's cross-check of /v1/stats).
struct JSONLookupTests {
    let stats = #"{"stats":{"wait":{"voice":{"run":{"wait":{"count":40,"mean_ms":1.5e2}}}}},"queues":[{"queue":"orders","agents_on_duty":2}]}"#

    @Test func findsNumbersThroughObjectsAndArrays() {
        #expect(JSONLookup.number(["stats", "wait", "voice", "run", "wait", "count"], in: stats) == 40)
        #expect(JSONLookup.number(["stats", "wait", "voice", "run", "wait", "mean_ms"], in: stats) == 150)
        #expect(JSONLookup.number(["queues", "0", "agents_on_duty"], in: stats) == 2)
    }

    @Test func aMissingPathOrAnotherTypeGivesNil() {
        #expect(JSONLookup.number(["stats", "wait", "chat"], in: stats) == nil)
        #expect(JSONLookup.number(["queues", "1", "agents_on_duty"], in: stats) == nil)
        #expect(JSONLookup.number(["queues", "0", "queue"], in: stats) == nil)
        #expect(JSONLookup.number(["stats", "wait"], in: stats) == nil)
    }

    @Test func textThatIsNotOneJSONObjectGivesNil() {
        #expect(JSONLookup.number(["a"], in: "") == nil)
        #expect(JSONLookup.number(["a"], in: #"{"a":1"#) == nil)
        #expect(JSONLookup.number(["a"], in: #"{"a":1,"a":2}"#) == nil)
        #expect(JSONLookup.number(["0"], in: "[1]") == nil)
    }
}
