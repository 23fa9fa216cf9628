#if canImport(Glibc)
import Glibc
#endif

/// Reading a secret from standard input: on a terminal, after a prompt on standard
/// error and with echo turned off (termios) so that it does not show on the screen or
/// in a screen recording; from a pipe or a file, the first line as it comes.
/// For command-line tools, on the main thread. Stateless.
public enum Terminal {
    /// Whether standard input is a terminal.
    public static var inputIsTerminal: Bool { isatty(0) == 1 }

    /// One line without its line ending (nil at end of input). On a terminal, `prompt`
    /// is written to standard error and echo is off while the line is typed; the
    /// terminal's settings are restored before returning.
    public static func readSecret(prompt: String) -> String? {
        guard inputIsTerminal else { return readLine(strippingNewline: true) }
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else {
            writeError(prompt)
            return readLine(strippingNewline: true)
        }
        var quiet = saved
        // Keep ECHONL so the Enter key still moves to a new line.
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ECHONL)
        // TCSANOW, not TCSAFLUSH: a flush would discard a secret typed (or pasted) ahead.
        // The prompt comes after echo is off, so nothing typed after it can show.
        _ = tcsetattr(0, TCSANOW, &quiet)
        defer { _ = tcsetattr(0, TCSANOW, &saved) }
        writeError(prompt)
        return readLine(strippingNewline: true)
    }

    private static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}
