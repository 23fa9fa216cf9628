#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus client libraries' standard `process_*` figures for this process,
/// read from /proc (Linux): CPU seconds, resident memory, open and allowed file
/// descriptors, start time. A plain value; read on whichever thread serves /metrics.
public struct ProcessFigures: Equatable, Sendable {
    public var cpuSeconds: Double
    public var residentBytes: Int
    public var openFileDescriptors: Int
    public var maxFileDescriptors: Int
    /// Seconds since the Unix epoch at which the process started.
    public var startTimeSeconds: Double

    public init(cpuSeconds: Double, residentBytes: Int, openFileDescriptors: Int, maxFileDescriptors: Int, startTimeSeconds: Double) {
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
        self.openFileDescriptors = openFileDescriptors
        self.maxFileDescriptors = maxFileDescriptors
        self.startTimeSeconds = startTimeSeconds
    }

    /// This process now; nil when /proc cannot be read (not Linux, or hidden).
    public static func current() -> ProcessFigures? {
        guard let stat = try? File.readWhole("/proc/self/stat", limit: 64 * 1024),
              let machine = try? File.readWhole("/proc/stat", limit: 1 << 20),
              let bootTime = bootTime(procStat: String(decoding: machine, as: UTF8.self)),
              let fields = StatFields(String(decoding: stat, as: UTF8.self)) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        // The listing opens a descriptor of its own for the directory: not one of ours.
        let open = ((try? File.list("/proc/self/fd"))?.count ?? 1) - 1
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return ProcessFigures(cpuSeconds: Double(fields.userTicks + fields.systemTicks) / ticks,
                              residentBytes: fields.residentPages * pageSize,
                              openFileDescriptors: max(open, 0),
                              maxFileDescriptors: Int(clamping: limit.rlim_cur),
                              startTimeSeconds: Double(bootTime) + Double(fields.startTicks) / ticks)
    }

    /// The fields of /proc/PID/stat this needs (proc(5)): utime (14), stime (15),
    /// starttime (22, ticks after boot), rss (24, pages). The command name (2) may hold
    /// spaces and parentheses, so fields are counted after its last ')'.
    public struct StatFields: Equatable, Sendable {
        public var userTicks: Int
        public var systemTicks: Int
        public var startTicks: Int
        public var residentPages: Int

        public init?(_ text: String) {
            guard let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
            // fields[0] is field 3 (state), so field n is fields[n - 3].
            guard fields.count > 21, let user = Int(fields[11]), let system = Int(fields[12]),
                  let start = Int(fields[19]), let rss = Int(fields[21]) else { return nil }
            userTicks = user
            systemTicks = system
            startTicks = start
            residentPages = max(rss, 0)
        }
    }

    /// `btime` of /proc/stat: the boot time in seconds since the epoch.
    public static func bootTime(procStat: String) -> Int? {
        for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int(line.dropFirst(6).trimmingSpaces())
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
