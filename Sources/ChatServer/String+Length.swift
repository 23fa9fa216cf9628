extension String {
    /// Whether the text has at most `limit` Unicode scalars (the unit of every length
    /// limit in the protocol). Its UTF-8 length, known without a walk, bounds the
    /// scalar count from above, so the usual short message is never counted.
    func hasAtMostScalars(_ limit: Int) -> Bool {
        utf8.count <= limit || unicodeScalars.count <= limit
    }
}
