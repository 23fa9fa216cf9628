/// What this binary is: its version (`switchboard --version`, `switchboard_build_info`).
/// Constant; any thread.
public enum BuildInfo {
    /// The release (CHANGELOG.md); bump it with the changelog.
    public static let version = "0.2.0"
    /// The Swift compiler it was built with, as far as the compiler tells.
    public static var swiftVersion: String {
        #if compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }
}
