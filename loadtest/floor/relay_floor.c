/*
 * relay_floor: the kernel's floor under Switchboard's relay.
 *
 * Why: `switchboard serve` spends ~42 µs of CPU per relayed message at 20,000 msg/s
 * with 10,000 conversations (README, "Cost per relayed message, and saturation"), and
 * an issue asks for ≤ 15 µs and ≥ 100,000 msg/s on one core. This program makes the
 * broker's syscalls and nothing else (no WebSocket, no JSON, no desk, no transcripts),
 * so the CPU its broker spends per relayed message is what epoll and loopback TCP alone
 * cost on this machine: the floor that no work on the Swift side can go below.
 *
 *   relay_floor broker --port P [--stats FILE] [--max-seconds S]
 *   relay_floor node --port P --redis-port R --node-index I [--prefix K] [--one-script]
 *                    [--stats FILE] [--max-seconds S]
 *   relay_floor load --port P[,P...] --conversations N --agents A --rate R --seconds S
 *                    --warmup W --reply-every K [--server-pid PID[,...]]
 *                    [--server-stats FILE[,...]] [--redis-pid PID] [--json] [--quiet] [--marks]
 *
 * `node` is the same broker as one node of a `serve --cluster` cluster, to ask the same
 * of the cluster relay (loadtest/bench_floor_cluster.py): each message goes through
 * Redis (XADD to its conversation's stream, one PUBLISH of the iteration's entries,
 * delivered by whichever node holds the recipient) before anyone gets it; see "Cluster
 * node" below. With --one-script, a node sends its iteration's XADDs and the PUBLISH as
 * one EVALSHA instead, so that Redis runs them in one event-loop iteration (one AOF
 * fsync before anything of it is answered or published). `load` with several ports
 * spreads the clients over the nodes.
 *
 * The broker copies the real one's loop (Sources/EventLoop/EventLoop.swift,
 * Sources/Posix/Epoll.swift): one thread, one level-triggered epoll with room for 1024
 * events, one recv per readable socket per wake-up into a buffer shared by every
 * connection, and output queued per connection and written with one send per
 * connection at the end of the iteration (so an agent given several events in one
 * iteration gets one send). Per customer message it queues an ack (60 bytes) to the
 * customer and an event (250 bytes) to the customer's agent; per agent reply, an ack to
 * the agent and an event to the customer: the real relay's two sends per message. (The
 * real broker sends a connection's own replies right after reading it and the others'
 * at the end of the iteration; since each socket is read once per iteration, the
 * syscalls are the same.)
 *
 * The load generator (single-threaded, like switchboard-loadtest relay) opens the
 * agents and the customers (customer i is served by agent i % A), sends customer
 * messages (120 bytes) at --rate in total, round-robin over the conversations and paced
 * in 1 ms ticks, lets every agent answer every K-th event it gets, reads everything,
 * checks that each ack and event arrives once and in order, and reports the relayed
 * messages (events received by either side) in the measured window, with the CPU of
 * both processes sampled at the window's edges the way the Swift load tester samples
 * them (utime + stime from /proc/PID/stat; getrusage for itself). Its own work is a few
 * percent of its CPU; the rest is the kernel's, mostly its sends, which on loopback also
 * run the broker's side of TCP input. So it costs about as much per message as the
 * broker. Reading the customers' acks lazily (every 4th message) saved nothing
 * measurable and, if anything, made the broker's messages dearer, so it reads
 * everything as it comes, like a real client.
 *
 * Wire format, both ways: a 4-byte length of what follows (native order: little-endian
 * on x86), a 1-byte kind, the payload. No parsing beyond that: the payload is copied, not read.
 *
 * Loopback only. Both modes stop by themselves: the load after its run (at most 10 s
 * of draining), the broker on SIGTERM/SIGINT, when its parent dies, or after
 * --max-seconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Wire format ---------------------------------------------------------------- */

enum kind {
    HELLO_CUSTOMER = 1,  /* u32 customer, u32 agent */
    HELLO_AGENT = 2,     /* u32 agent */
    READY = 3,           /* broker → client: the hello is registered */
    MESSAGE = 4,         /* customer → broker: u32 seq, u64 sent_ns, text */
    REPLY = 5,           /* agent → broker: u32 customer, u32 seq, u64 sent_ns, text */
    ACK = 6,             /* broker → sender: u32 seq */
    EVENT = 7,           /* broker → recipient: u32 customer, u32 seq, u64 sent_ns, u64 broker_ns, text */
};

#define HEADER 5          /* length + kind */
#define MESSAGE_SIZE 120  /* whole frames, header included */
#define ACK_SIZE 60
#define EVENT_SIZE 250
#define MAX_FRAME 4096    /* anything longer is a broken peer */
#define READ_BUFFER (64 * 1024)
#define MAX_EVENTS 1024   /* the real loop's epoll_wait size */
#define TEXT_OFFSET 17    /* where MESSAGE's and REPLY's text starts (REPLY: +4) */

/* What a chat message's text would be; events carry it on, padded. */
static const char filler[256] =
    "안녕하세요, 주문한 상품이 아직 도착하지 않았어요. 배송 조회를 부탁드립니다. "
    "order 2026-12-06 #48213, thank you! "
    "...............................................................................................................";

static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("relay_floor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* ---- Connections, shared by both modes ------------------------------------------ */

/* A node's two Redis connections are connections too: their output goes through the
 * same end-of-iteration send. */
enum role { UNKNOWN = 0, CUSTOMER, AGENT, REDIS_COMMANDS, REDIS_EVENTS };

/* One socket. Indexed by fd: fds are small integers, as in the real loop. */
struct conn {
    bool open, dirty, want_write;
    uint8_t role;
    uint32_t id;       /* customer or agent number */
    uint32_t agent;    /* a customer's agent */
    uint8_t *out;      /* queued output, sent at the end of the iteration */
    uint32_t out_len, out_cap;
    uint8_t *partial;  /* the start of a frame that one recv cut (kept between reads) */
    uint32_t partial_len;
    uint8_t *in;       /* Redis only: replies read and not parsed yet (a batch can be long) */
    uint32_t in_len, in_cap;
    /* load side only */
    uint32_t next_seq;      /* customer: its next message; agent: unused */
    uint32_t acked;         /* acks received, in order */
    uint32_t since_reply;   /* agent: events since its last reply */
};

static struct conn *conns;
static int max_fds;
static int epfd;
static int *dirty_list;
static int dirty_count;
static uint8_t read_buffer[READ_BUFFER];

static void setup_tables(void) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    max_fds = (int)rl.rlim_cur;
    conns = calloc((size_t)max_fds, sizeof *conns);
    dirty_list = calloc((size_t)max_fds, sizeof *dirty_list);
    if (!conns || !dirty_list) die("out of memory");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1: %s", strerror(errno));
}

static void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* A blocking connect (retried while the listener is not up yet), then nonblocking: the
 * load's clients and a node's Redis connections. */
static int connect_loopback(int port) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int attempt = 0; attempt < 50; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket: %s (raise the file-descriptor limit)", strerror(errno));
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            set_nodelay(fd);
            return fd;
        }
        int error = errno;
        close(fd);
        if (error != EAGAIN && error != ECONNREFUSED && error != EINTR) die("connect 127.0.0.1:%d: %s", port, strerror(error));
        usleep(20000);
    }
    die("connect 127.0.0.1:%d: gave up after 50 attempts", port);
    return -1;
}

static struct conn *add_conn(int fd) {
    if (fd >= max_fds) die("fd %d over the table (RLIMIT_NOFILE %d)", fd, max_fds);
    struct conn *c = &conns[fd];
    uint8_t *out = c->out, *partial = c->partial, *in = c->in;
    uint32_t cap = c->out_cap, in_cap = c->in_cap;
    memset(c, 0, sizeof *c);
    c->out = out, c->out_cap = cap, c->partial = partial;  /* reuse a closed fd's buffers */
    c->in = in, c->in_cap = in_cap;
    c->open = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    return c;
}

/* Space for `size` more bytes at the end of the connection's output queue; the caller
 * fills it. Marks the connection for the end-of-iteration send. */
static uint8_t *reserve(int fd, uint32_t size) {
    struct conn *c = &conns[fd];
    if (c->out_len + size > c->out_cap) {
        uint32_t cap = c->out_cap ? c->out_cap : 1024;
        while (cap < c->out_len + size) cap *= 2;
        if (cap > (256u << 20)) die("fd %d: over 256 MiB unsent; the peer is not reading", fd);
        c->out = realloc(c->out, cap);
        if (!c->out) die("out of memory");
        c->out_cap = cap;
    }
    uint8_t *at = c->out + c->out_len;
    c->out_len += size;
    if (!c->dirty) {
        c->dirty = true;
        dirty_list[dirty_count++] = fd;
    }
    return at;
}

static uint8_t *frame(int fd, uint8_t kind, uint32_t size) {
    uint8_t *p = reserve(fd, size);
    put32(p, size - 4);
    p[4] = kind;
    return p;
}

/* Counters a broker keeps, in a file the load generator maps to read them at the
 * measured window's edges (no signals, no syscalls on the broker's side). */
struct broker_stats {
    uint64_t iterations, events, recvs, recv_bytes, sends, send_bytes, short_sends, epoll_ctls;
    uint64_t messages, replies, acks, events_out, undeliverable, accepted, closed;
    /* node only: appends stored, refused (another node took the seq) and retried, batches
     * published and the entries in them, and entries heard from the other nodes */
    uint64_t xadds, refused, publishes, published_entries, heard_entries;
};
static struct broker_stats local_stats, *stats = &local_stats;

static void close_conn(int fd) {
    struct conn *c = &conns[fd];
    if (!c->open) return;
    c->open = false;
    c->out_len = 0;
    c->partial_len = 0;
    close(fd);  /* leaves the epoll set too */
    stats->closed++;
}

/* Sends every connection's queued output: one send each. What the kernel does not take
 * stays queued, and EPOLLOUT is asked for until it goes. */
static void flush_all(void) {
    for (int i = 0; i < dirty_count; i++) {
        int fd = dirty_list[i];
        struct conn *c = &conns[fd];
        c->dirty = false;
        if (!c->open || c->out_len == 0) continue;
        ssize_t n = send(fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        stats->sends++;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                close_conn(fd);
                continue;
            }
            n = 0;
        }
        stats->send_bytes += (uint64_t)n;
        if ((uint32_t)n < c->out_len) {
            stats->short_sends++;
            memmove(c->out, c->out + n, c->out_len - (uint32_t)n);
        }
        c->out_len -= (uint32_t)n;
        bool want = c->out_len > 0;
        if (want != c->want_write) {
            c->want_write = want;
            struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0), .data.fd = fd};
            epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
            stats->epoll_ctls++;
        }
    }
    dirty_count = 0;
}

typedef void (*frame_handler)(int fd, uint8_t kind, const uint8_t *payload, uint32_t length);

/* One recv from a readable socket, and every complete frame in it handed to `handle`;
 * a frame cut at the end waits in the connection for the next read. Returns false when
 * the connection closed. */
static bool read_once(int fd, frame_handler handle) {
    struct conn *c = &conns[fd];
    uint32_t kept = c->partial_len;
    if (kept) memcpy(read_buffer, c->partial, kept);
    ssize_t n = recv(fd, read_buffer + kept, READ_BUFFER - kept, 0);
    stats->recvs++;
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
        close_conn(fd);
        return false;
    }
    stats->recv_bytes += (uint64_t)n;
    uint32_t end = kept + (uint32_t)n, at = 0;
    while (end - at >= 4) {
        uint32_t length = get32(read_buffer + at);
        if (length < 1 || length > MAX_FRAME) {
            fprintf(stderr, "relay_floor: fd %d sent a frame of %u bytes; closing it\n", fd, length);
            close_conn(fd);
            return false;
        }
        if (end - at < 4 + length) break;
        handle(fd, read_buffer[at + 4], read_buffer + at + HEADER, length - 1);
        if (!c->open) return false;
        at += 4 + length;
    }
    c->partial_len = end - at;
    if (c->partial_len) {
        if (!c->partial && !(c->partial = malloc(MAX_FRAME + 4))) die("out of memory");
        memcpy(c->partial, read_buffer + at, c->partial_len);
    }
    return true;
}

static char *option(int argc, char **argv, const char *name, const char *fallback) {
    for (int i = 2; i < argc - 1; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return (char *)fallback;
}

/* Every value of a repeatable option, each also a comma list (`--port 1 --port 2,3`);
 * returns how many, at most `room`. The commas in argv become the values' ends. */
static int option_values(int argc, char **argv, const char *name, char **values, int room) {
    int count = 0;
    for (int i = 2; i < argc - 1; i++) {
        if (strcmp(argv[i], name) != 0) continue;
        for (char *at = argv[i + 1]; at && *at;) {
            if (count == room) die("%s: at most %d values", name, room);
            values[count++] = at;
            at = strchr(at, ',');
            if (at) *at++ = 0;
        }
    }
    return count;
}

static bool flag(int argc, char **argv, const char *name) {
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return true;
    return false;
}

/* ---- Broker ---------------------------------------------------------------------- */

static int *customer_fd, *agent_fd;  /* by number; 0: not connected */
static uint64_t loop_now;  /* read once per iteration, as the real loop does */
static uint32_t customer_slots, agent_slots;
static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* `table` (of `*slots` entries of `size` bytes) grown, zeroed, to hold entry `id`. */
static void *grow(void *table, uint32_t *slots, uint32_t id, size_t size) {
    if (id < *slots) return table;
    uint32_t grown = *slots ? *slots : 1024;
    while (grown <= id) grown *= 2;
    uint8_t *bigger = realloc(table, grown * size);
    if (!bigger) die("out of memory");
    memset(bigger + *slots * size, 0, (grown - *slots) * size);
    *slots = grown;
    return bigger;
}

static void remember(int **table, uint32_t *slots, uint32_t id, int fd) {
    *table = grow(*table, slots, id, sizeof **table);
    (*table)[id] = fd;
}

/* The peer's fd if it is still connected. */
static int lookup(int *table, uint32_t slots, uint32_t id) {
    if (id >= slots) return -1;
    int fd = table[id];
    return fd > 0 && conns[fd].open ? fd : -1;
}

static void ack(int fd, uint32_t seq) {
    uint8_t *p = frame(fd, ACK, ACK_SIZE);
    put32(p + HEADER, seq);
    memcpy(p + HEADER + 4, filler, ACK_SIZE - HEADER - 4);
    stats->acks++;
}

/* The event a recipient gets, the whole frame: who, which, when sent, when the broker
 * read it (so the load generator can tell a broker that is behind from its own reading
 * that is), and the text carried on. A node stores these bytes in Redis as they are. */
static void write_event(uint8_t *p, uint32_t customer, uint32_t seq, uint64_t sent, const uint8_t *text, uint32_t text_len) {
    put32(p, EVENT_SIZE - 4);
    p[4] = EVENT;
    put32(p + HEADER, customer);
    put32(p + HEADER + 4, seq);
    put64(p + HEADER + 8, sent);
    put64(p + HEADER + 16, loop_now);
    uint32_t room = EVENT_SIZE - HEADER - 24;
    if (text_len > room) text_len = room;
    memcpy(p + HEADER + 24, text, text_len);
    memcpy(p + HEADER + 24 + text_len, filler, room - text_len);
}

static void event(int fd, uint32_t customer, uint32_t seq, uint64_t sent, const uint8_t *text, uint32_t text_len) {
    write_event(reserve(fd, EVENT_SIZE), customer, seq, sent, text, text_len);
    stats->events_out++;
}

/* A chat message as both modes read it: a customer's (to its agent) or an agent's reply
 * (to the customer). False if the frame is not one, or too short. */
struct chat_message {
    uint32_t customer, seq;  /* the conversation, and the sender's own message number */
    uint64_t sent;
    const uint8_t *text;
    uint32_t text_len;
};

static bool read_chat_message(const struct conn *c, uint8_t kind, const uint8_t *payload, uint32_t length,
                              struct chat_message *m) {
    if (kind == MESSAGE && c->role == CUSTOMER && length >= 12) {
        *m = (struct chat_message){c->id, get32(payload), get64(payload + 4), payload + 12, length - 12};
        stats->messages++;
        return true;
    }
    if (kind == REPLY && c->role == AGENT && length >= 16) {
        *m = (struct chat_message){get32(payload), get32(payload + 4), get64(payload + 8), payload + 16, length - 16};
        stats->replies++;
        return true;
    }
    return false;
}

/* A hello registers the connection as a customer (with its agent) or an agent, answered
 * with READY; false if the frame is not a hello. */
static bool register_hello(int fd, uint8_t kind, const uint8_t *payload, uint32_t length) {
    struct conn *c = &conns[fd];
    if (kind == HELLO_CUSTOMER && length >= 8) {
        c->role = CUSTOMER, c->id = get32(payload), c->agent = get32(payload + 4);
        remember(&customer_fd, &customer_slots, c->id, fd);
    } else if (kind == HELLO_AGENT && length >= 4) {
        c->role = AGENT, c->id = get32(payload);
        remember(&agent_fd, &agent_slots, c->id, fd);
    } else {
        return false;
    }
    frame(fd, READY, HEADER);
    return true;
}

static void refuse_frame(int fd, uint8_t kind, uint32_t length) {
    struct conn *c = &conns[fd];
    fprintf(stderr, "relay_floor: fd %d sent kind %u (%u bytes) as %s; closing it\n", fd, kind, length,
            c->role == CUSTOMER ? "customer" : c->role == AGENT ? "agent" : "nobody yet");
    close_conn(fd);
}

static void broker_frame(int fd, uint8_t kind, const uint8_t *payload, uint32_t length) {
    struct chat_message m;
    if (register_hello(fd, kind, payload, length)) return;
    if (!read_chat_message(&conns[fd], kind, payload, length, &m)) {
        refuse_frame(fd, kind, length);
        return;
    }
    ack(fd, m.seq);
    int to = kind == MESSAGE ? lookup(agent_fd, agent_slots, conns[fd].agent) : lookup(customer_fd, customer_slots, m.customer);
    if (to < 0) { stats->undeliverable++; return; }
    event(to, m.customer, m.seq, m.sent, m.text, m.text_len);
}

static int listen_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind 127.0.0.1:%d: %s", port, strerror(errno));
    if (listen(fd, 4096) < 0) die("listen: %s", strerror(errno));  /* the real broker's backlog */
    return fd;
}

static void accept_all(int listener) {
    for (int i = 0; i < 256; i++) {  /* level-triggered: the rest comes next iteration */
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        set_nodelay(fd);
        add_conn(fd);
        stats->accepted++;
    }
}

/* What makes a broker a single-node broker or a cluster node: the same loop, with these
 * hooks. */
struct broker_mode {
    const char *name;
    frame_handler client_frame;
    void (*start)(int argc, char **argv);  /* after the tables, before listening (or NULL) */
    void (*redis_readable)(int fd);        /* one read of a Redis connection (or NULL) */
    void (*end_of_iteration)(void);        /* before the sends (or NULL) */
};

/* The broker's loop, both modes: options --port, --stats, --max-seconds; stops on
 * SIGTERM/SIGINT, its parent's death, or --max-seconds. */
static int serve(int argc, char **argv, const struct broker_mode *mode) {
    int port = atoi(option(argc, argv, "--port", "0"));
    const char *stats_path = option(argc, argv, "--stats", NULL);
    double max_seconds = atof(option(argc, argv, "--max-seconds", "900"));
    if (stats_path) {
        int fd = open(stats_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || ftruncate(fd, sizeof *stats) < 0) die("%s: %s", stats_path, strerror(errno));
        stats = mmap(NULL, sizeof *stats, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (stats == MAP_FAILED) die("mmap %s: %s", stats_path, strerror(errno));
        close(fd);
    }
    setup_tables();
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    prctl(PR_SET_PDEATHSIG, SIGTERM);  /* a driver that dies takes its broker along */
    if (mode->start) mode->start(argc, argv);
    int listener = listen_loopback(port);
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &lev);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    printf("relay_floor %s listening on 127.0.0.1:%d\n", mode->name, ntohs(addr.sin_port));
    fflush(stdout);

    uint64_t deadline = now_ns() + (uint64_t)(max_seconds * 1e9);
    static struct epoll_event events[MAX_EVENTS];
    while (!stopping) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, 250);  /* the real loop's tick */
        loop_now = now_ns();
        stats->iterations++;
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait: %s", strerror(errno));
        }
        stats->events += (uint64_t)n;
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            uint32_t flags = events[i].events;
            if (fd == listener) { accept_all(listener); continue; }
            struct conn *c = &conns[fd];
            if (!c->open) continue;
            if ((flags & EPOLLOUT) && !c->dirty) {  /* room again: send at the end */
                c->dirty = true;
                dirty_list[dirty_count++] = fd;
            }
            if (!(flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
            if (c->role == REDIS_COMMANDS || c->role == REDIS_EVENTS) mode->redis_readable(fd);
            else read_once(fd, mode->client_frame);
        }
        if (mode->end_of_iteration) mode->end_of_iteration();
        flush_all();
        if (loop_now > deadline) {
            fprintf(stderr, "relay_floor %s: --max-seconds %.0f passed; stopping\n", mode->name, max_seconds);
            break;
        }
    }
    fprintf(stderr, "relay_floor %s: %llu messages, %llu replies relayed; %llu iterations, %llu recvs, %llu sends "
            "(%llu short), %llu undeliverable; %llu appends (%llu refused), %llu batches published (%llu entries), "
            "%llu entries heard\n", mode->name, (unsigned long long)stats->messages, (unsigned long long)stats->replies,
            (unsigned long long)stats->iterations, (unsigned long long)stats->recvs, (unsigned long long)stats->sends,
            (unsigned long long)stats->short_sends, (unsigned long long)stats->undeliverable,
            (unsigned long long)stats->xadds, (unsigned long long)stats->refused, (unsigned long long)stats->publishes,
            (unsigned long long)stats->published_entries, (unsigned long long)stats->heard_entries);
    return 0;
}

static int broker(int argc, char **argv) {
    static const struct broker_mode single = {.name = "broker", .client_frame = broker_frame};
    return serve(argc, argv, &single);
}

/* ---- Cluster node ---------------------------------------------------------------- */

/* What one `switchboard serve --cluster` node does per message besides the broker's
 * sockets (Sources/ChatServer/ConversationRelay.swift): the sender's node appends it
 * to the conversation's stream with an explicit id, all of an iteration's XADDs in one
 * write; on each XADD reply it delivers the event if the recipient is its own, acks the
 * sender, and adds the entry to the iteration's batch, published once at the end of the
 * iteration on the events channel, which every node hears and delivers from.
 *
 * --one-script (not what the Swift relay does; a question to Redis): the iteration's
 * appends go out at its end as one EVALSHA that does them all and then PUBLISHes the
 * stored ones, so a cross-node message waits for one Redis iteration (one fsync under
 * appendfsync always) instead of two (its XADD's, then the PUBLISH's). On the script's
 * reply the node acks and delivers each stored entry as on an XADD reply, and retries a
 * refused seq in the next script; it publishes nothing itself. */

#define STREAM_LENGTH "4096"   /* MAXLEN ~, as ConversationRelay.streamLength */
#define BATCH_ENTRY_HEADER 17  /* u32 conversation, u8 recipient role, u32 recipient, u32 seq, u32 size */
#define MAX_ATTEMPTS 20        /* a seq refused this often is a broken floor, not a race */

static const char *key_prefix = "sbfloor";
static uint32_t node_index;
static int redis_commands = -1, redis_events = -1;
/* Per conversation: the highest seq this node stored or heard. Each conversation has
 * one writer at a time (its next message is a second away at 10,000/s), so top + 1 is
 * free unless the customer and the agent write within a round trip of each other. */
static uint32_t *conversation_top, conversation_slots;

/* A command sent to Redis and not answered yet, in the order sent: an XADD with what
 * its reply needs (who is acked, who gets the event, the event itself), or a PUBLISH;
 * with --one-script, a script call (`script` its entries, which follow it in the queue). */
struct pending {
    bool publish;
    uint32_t script;
    uint8_t sender_role, recipient_role, attempts;
    int sender;
    uint32_t sender_id, client_seq, conversation, seq, recipient;
    uint8_t event[EVENT_SIZE];
};
static struct pending *pending;
static uint32_t pending_head, pending_count, pending_cap;

/* The iteration's batch: u32 node index, then entries. */
static uint8_t *batch;
static uint32_t batch_len, batch_cap, batch_entries;

/* --one-script: the iteration's appends, sent at its end in one script call, which does
 * every XADD (redis.pcall: a refused one is reported, the others go on) and then one
 * PUBLISH of the stored entries, all in one Redis iteration. Every stream key is in KEYS.
 * ARGV: channel, ms, the batch's head (u32 node index), then per entry its id, its batch
 * entry header, its event and its client id. Returns per entry "ok" or the error text. */
static bool one_script;
static struct pending *staged;
static uint32_t staged_count, staged_cap;
static char script_sha[41];
static bool script_by_eval;  /* Redis lost the script (NOSCRIPT): the next call carries it */
static const char script_body[] =
    "local batch, results = {ARGV[3]}, {}\n"
    "for i = 1, #KEYS do\n"
    "  local a = 3 + (i - 1) * 4\n"
    "  local r = redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', '" STREAM_LENGTH "', ARGV[a + 1], 'e', ARGV[a + 3], 'k', ARGV[a + 4], 't', ARGV[2])\n"
    "  if type(r) == 'table' and r.err then\n"
    "    results[i] = r.err\n"
    "  else\n"
    "    results[i] = 'ok'\n"
    "    batch[#batch + 1] = ARGV[a + 2]\n"
    "    batch[#batch + 1] = ARGV[a + 3]\n"
    "  end\n"
    "end\n"
    "if #batch > 1 then redis.call('PUBLISH', ARGV[1], table.concat(batch)) end\n"
    "return results\n";

static struct pending *stage_slot(void) {
    if (staged_count == staged_cap) {
        staged_cap = staged_cap ? staged_cap * 2 : 1024;
        if (!(staged = realloc(staged, staged_cap * sizeof *staged))) die("out of memory");
    }
    return &staged[staged_count++];
}

static void stage(const struct pending *a) { *stage_slot() = *a; }

static struct pending *pending_push(void) {
    if (pending_count == pending_cap) {
        uint32_t cap = pending_cap ? pending_cap * 2 : 4096;
        struct pending *bigger = malloc(cap * sizeof *bigger);
        if (!bigger) die("out of memory");
        for (uint32_t i = 0; i < pending_count; i++) bigger[i] = pending[(pending_head + i) % pending_cap];
        free(pending);
        pending = bigger, pending_cap = cap, pending_head = 0;
    }
    return &pending[(pending_head + pending_count++) % pending_cap];
}

static uint32_t next_seq(uint32_t conversation) {
    conversation_top = grow(conversation_top, &conversation_slots, conversation, sizeof *conversation_top);
    return ++conversation_top[conversation];
}

static void heard_seq(uint32_t conversation, uint32_t seq) {
    conversation_top = grow(conversation_top, &conversation_slots, conversation, sizeof *conversation_top);
    if (seq > conversation_top[conversation]) conversation_top[conversation] = seq;
}

/* A RESP bulk string (RESP2, https://redis.io/docs/reference/protocol-spec/). */
static uint8_t *bulk(uint8_t *p, const void *bytes, uint32_t len) {
    p += sprintf((char *)p, "$%u\r\n", len);
    memcpy(p, bytes, len);
    p += len;
    *p++ = '\r', *p++ = '\n';
    return p;
}

/* XADD PREFIX:conv:ID MAXLEN ~ 4096 0-SEQ e <event> k <client id> t <ms>, queued for
 * the end of the iteration. */
static void send_append(const struct pending *a) {
    char key[96], id[24], client[32], ts[24];
    int key_len = snprintf(key, sizeof key, "%s:conv:%u", key_prefix, a->conversation);
    int id_len = snprintf(id, sizeof id, "0-%u", a->seq);
    int client_len = snprintf(client, sizeof client, "%s-%u-%u", a->sender_role == CUSTOMER ? "customer" : "agent",
                              a->sender_id, a->client_seq);
    int ts_len = snprintf(ts, sizeof ts, "%llu", (unsigned long long)(loop_now / 1000000));
    uint8_t command[1024], *p = command;
    p += sprintf((char *)p, "*12\r\n");
    p = bulk(p, "XADD", 4);
    p = bulk(p, key, (uint32_t)key_len);
    p = bulk(p, "MAXLEN", 6);
    p = bulk(p, "~", 1);
    p = bulk(p, STREAM_LENGTH, sizeof STREAM_LENGTH - 1);
    p = bulk(p, id, (uint32_t)id_len);
    p = bulk(p, "e", 1);
    p = bulk(p, a->event, EVENT_SIZE);
    p = bulk(p, "k", 1);
    p = bulk(p, client, (uint32_t)client_len);
    p = bulk(p, "t", 1);
    p = bulk(p, ts, (uint32_t)ts_len);
    memcpy(reserve(redis_commands, (uint32_t)(p - command)), command, (size_t)(p - command));
}

static void node_frame(int fd, uint8_t kind, const uint8_t *payload, uint32_t length) {
    struct chat_message m;
    if (register_hello(fd, kind, payload, length)) return;
    struct conn *c = &conns[fd];
    if (!read_chat_message(c, kind, payload, length, &m)) {
        refuse_frame(fd, kind, length);
        return;
    }
    struct pending *a = one_script ? stage_slot() : pending_push();  /* one_script: sent with the iteration's script */
    *a = (struct pending){.sender_role = c->role, .sender = fd, .sender_id = c->id, .client_seq = m.seq,
                          .conversation = m.customer, .seq = next_seq(m.customer),
                          .recipient_role = kind == MESSAGE ? AGENT : CUSTOMER,
                          .recipient = kind == MESSAGE ? c->agent : m.customer};
    write_event(a->event, m.customer, m.seq, m.sent, m.text, m.text_len);
    if (!one_script) send_append(a);
}

static void deliver(uint8_t role, uint32_t recipient, const uint8_t *event) {
    int to = role == AGENT ? lookup(agent_fd, agent_slots, recipient) : lookup(customer_fd, customer_slots, recipient);
    if (to < 0) return;  /* on another node */
    memcpy(reserve(to, EVENT_SIZE), event, EVENT_SIZE);
    stats->events_out++;
}

/* One RESP reply: its type byte, its text (simple string, error, bulk), and for an
 * array (a pub/sub push) its first elements. */
struct resp {
    char type;
    const uint8_t *text;
    uint32_t len, count;
    struct { const uint8_t *text; uint32_t len; } items[4];
};

/* The reply at `p`: the bytes it takes, 0 if it is not all there yet, -1 if it is not
 * RESP. Arrays of simple values only: all a node is sent. */
static long resp_parse(const uint8_t *p, uint32_t len, struct resp *r) {
    const uint8_t *eol = len >= 2 ? memmem(p, len, "\r\n", 2) : NULL;
    if (!eol) return 0;
    long line = eol - p + 2, n = strtol((const char *)p + 1, NULL, 10);
    *r = (struct resp){.type = (char)p[0], .text = p + 1, .len = (uint32_t)(eol - p - 1)};
    switch (p[0]) {
    case '+': case '-': case ':':
        return line;
    case '$':
        if (n < 0) { r->text = NULL, r->len = 0; return line; }
        if ((long)len < line + n + 2) return 0;
        r->text = p + line, r->len = (uint32_t)n;
        return line + n + 2;
    case '*': {
        long at = line;
        for (long i = 0; i < n; i++) {
            struct resp item;
            long used = resp_parse(p + at, len - (uint32_t)at, &item);
            if (used <= 0) return used;
            if (item.type == '*') return -1;
            if (i < 4) r->items[i].text = item.text, r->items[i].len = item.len;
            at += used;
        }
        r->count = n > 0 ? (uint32_t)n : 0;
        return at;
    }
    }
    return -1;
}

/* An XADD's reply: stored (event to a local recipient, ack, entry in the batch), or a
 * seq another node took (sent again with the next free one). */
static void stored(struct pending *a, const struct resp *reply) {
    if (reply->type == '-') {
        if (memmem(reply->text, reply->len, "equal or smaller", 16) && a->attempts < MAX_ATTEMPTS) {
            stats->refused++;
            heard_seq(a->conversation, a->seq);
            a->seq = next_seq(a->conversation);
            a->attempts++;
            if (one_script) {
                stage(a);  /* in this iteration's script */
                return;
            }
            struct pending *again = pending_push();
            *again = *a;
            send_append(again);
            return;
        }
        if (stats->undeliverable++ < 10)
            fprintf(stderr, "relay_floor node: XADD conversation %u seq %u: %.*s\n", a->conversation, a->seq, (int)reply->len,
                    (const char *)reply->text);
        return;
    }
    stats->xadds++;
    /* Delivered here before the sender is acked, as ConversationRelay.finish does. */
    deliver(a->recipient_role, a->recipient, a->event);
    struct conn *sender = &conns[a->sender];
    if (sender->open && sender->role == a->sender_role && sender->id == a->sender_id) ack(a->sender, a->client_seq);
    if (one_script) return;  /* the script published it */
    if (batch_len + BATCH_ENTRY_HEADER + EVENT_SIZE > batch_cap) {
        batch_cap = batch_cap * 2;
        if (!(batch = realloc(batch, batch_cap))) die("out of memory");
    }
    uint8_t *p = batch + batch_len;
    put32(p, a->conversation);
    p[4] = a->recipient_role;
    put32(p + 5, a->recipient);
    put32(p + 9, a->seq);
    put32(p + 13, EVENT_SIZE);
    memcpy(p + BATCH_ENTRY_HEADER, a->event, EVENT_SIZE);
    batch_len += BATCH_ENTRY_HEADER + EVENT_SIZE;
    batch_entries++;
}

static struct pending pending_pop(void) {
    if (pending_count == 0) die("Redis answered a command that was not sent");
    struct pending a = pending[pending_head];  /* a copy: a retry may move the queue */
    pending_head = (pending_head + 1) % pending_cap;
    pending_count--;
    return a;
}

/* A script call's reply (`raw`, `raw_len`: all of it): per entry "ok" (stored and
 * published) or the XADD's error, handled as the XADD's own reply would be. */
static void script_answered(uint32_t entries, const struct resp *reply, const uint8_t *raw, uint32_t raw_len) {
    if (reply->type == '-' && reply->len >= 8 && memcmp(reply->text, "NOSCRIPT", 8) == 0) {
        script_by_eval = true;  /* all of them again, with the script's text */
        for (uint32_t i = 0; i < entries; i++) {
            struct pending a = pending_pop();
            stage(&a);
        }
        return;
    }
    if (reply->type != '*' || reply->count != entries)
        die("the script answered %c%.*s for %u entries", reply->type, (int)(reply->len > 200 ? 200 : reply->len),
            (const char *)reply->text, entries);
    uint32_t at = reply->len + 3, ok = 0;  /* past "*N\r\n" */
    for (uint32_t i = 0; i < entries; i++) {
        struct resp item;
        long used = resp_parse(raw + at, raw_len - at, &item);
        if (used <= 0) die("the script's reply is cut short");
        at += (uint32_t)used;
        struct pending a = pending_pop();
        bool stored_ok = item.len == 2 && memcmp(item.text, "ok", 2) == 0;
        struct resp result = {.type = stored_ok ? '+' : '-', .text = item.text, .len = item.len};
        ok += stored_ok;
        stored(&a, &result);
    }
    if (ok) {
        stats->publishes++;
        stats->published_entries += ok;
    }
}

static void answered(const struct resp *reply, const uint8_t *raw, uint32_t raw_len) {
    struct pending a = pending_pop();
    if (a.script) script_answered(a.script, reply, raw, raw_len);
    else if (!a.publish) stored(&a, reply);
    else if (reply->type == '-') die("PUBLISH: %.*s", (int)reply->len, (const char *)reply->text);
}

/* A batch heard on the events channel: every other node's entries for recipients here. */
static void heard(const struct resp *push) {
    if (push->type != '*' || push->count != 3 || push->items[0].len != 7 || memcmp(push->items[0].text, "message", 7) != 0)
        return;
    const uint8_t *p = push->items[2].text;
    uint32_t len = push->items[2].len;
    if (len < 4 || get32(p) == node_index) return;  /* its writer delivered these */
    for (uint32_t at = 4; at < len;) {
        if (len - at < BATCH_ENTRY_HEADER) die("a batch cut short");
        uint32_t conversation = get32(p + at), recipient = get32(p + at + 5), seq = get32(p + at + 9), size = get32(p + at + 13);
        uint8_t role = p[at + 4];
        at += BATCH_ENTRY_HEADER;
        if (size != EVENT_SIZE || len - at < size) die("a batch entry of %u bytes", size);
        stats->heard_entries++;
        heard_seq(conversation, seq);
        deliver(role, recipient, p + at);
        at += size;
    }
}

/* One recv from a Redis connection, and every whole reply in it handled in order. */
static void redis_readable(int fd) {
    struct conn *c = &conns[fd];
    if (c->in_cap - c->in_len < READ_BUFFER) {
        c->in_cap = c->in_len + 2 * READ_BUFFER;
        if (!(c->in = realloc(c->in, c->in_cap))) die("out of memory");
    }
    ssize_t n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    stats->recvs++;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) die("Redis closed the %s connection", fd == redis_commands ? "command" : "events");
    stats->recv_bytes += (uint64_t)n;
    c->in_len += (uint32_t)n;
    uint32_t at = 0;
    for (;;) {
        struct resp reply;
        long used = resp_parse(c->in + at, c->in_len - at, &reply);
        if (used < 0) die("Redis sent what is not RESP (kind '%c')", c->in[at]);
        if (used == 0) break;
        if (fd == redis_commands) answered(&reply, c->in + at, (uint32_t)used);
        else heard(&reply);
        at += (uint32_t)used;
    }
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
}

/* The iteration's stored entries in one PUBLISH, if there are any. */
static void publish_batch(void) {
    if (batch_entries == 0) return;
    char head[160];
    int channel_len = (int)strlen(key_prefix) + (int)strlen(":conv-events");
    int head_len = snprintf(head, sizeof head, "*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s:conv-events\r\n$%u\r\n", channel_len,
                            key_prefix, batch_len);
    uint8_t *p = reserve(redis_commands, (uint32_t)head_len + batch_len + 2);
    memcpy(p, head, (size_t)head_len);
    memcpy(p + head_len, batch, batch_len);
    memcpy(p + head_len + batch_len, "\r\n", 2);
    pending_push()->publish = true;
    stats->publishes++;
    stats->published_entries += batch_entries;
    batch_len = 4, batch_entries = 0;  /* the node index stays */
}

/* --one-script: the iteration's appends in one script call, if there are any. */
static void send_script(void) {
    if (staged_count == 0) return;
    uint32_t n = staged_count;
    char channel[128], ts[24];
    int channel_len = snprintf(channel, sizeof channel, "%s:conv-events", key_prefix);
    int ts_len = snprintf(ts, sizeof ts, "%llu", (unsigned long long)(loop_now / 1000000));
    uint32_t room = 512 + sizeof script_body + n * (2 * 128 + 3 * 32 + BATCH_ENTRY_HEADER + EVENT_SIZE + 64);
    uint8_t *start = reserve(redis_commands, room), *p = start;
    p += sprintf((char *)p, "*%u\r\n", 3 + n + 3 + 4 * n);
    if (script_by_eval) {
        p = bulk(p, "EVAL", 4);
        p = bulk(p, script_body, sizeof script_body - 1);
        script_by_eval = false;  /* EVAL caches it again */
    } else {
        p = bulk(p, "EVALSHA", 7);
        p = bulk(p, script_sha, 40);
    }
    char count[16];
    p = bulk(p, count, (uint32_t)snprintf(count, sizeof count, "%u", n));
    for (uint32_t i = 0; i < n; i++) {
        char key[96];
        p = bulk(p, key, (uint32_t)snprintf(key, sizeof key, "%s:conv:%u", key_prefix, staged[i].conversation));
    }
    p = bulk(p, channel, (uint32_t)channel_len);
    p = bulk(p, ts, (uint32_t)ts_len);
    uint8_t head[4];
    put32(head, node_index);
    p = bulk(p, head, 4);
    for (uint32_t i = 0; i < n; i++) {
        const struct pending *a = &staged[i];
        char id[24], client[32];
        uint8_t entry[BATCH_ENTRY_HEADER];
        p = bulk(p, id, (uint32_t)snprintf(id, sizeof id, "0-%u", a->seq));
        put32(entry, a->conversation);
        entry[4] = a->recipient_role;
        put32(entry + 5, a->recipient);
        put32(entry + 9, a->seq);
        put32(entry + 13, EVENT_SIZE);
        p = bulk(p, entry, BATCH_ENTRY_HEADER);
        p = bulk(p, a->event, EVENT_SIZE);
        p = bulk(p, client, (uint32_t)snprintf(client, sizeof client, "%s-%u-%u", a->sender_role == CUSTOMER ? "customer" : "agent",
                                              a->sender_id, a->client_seq));
    }
    if ((uint32_t)(p - start) > room) die("a script call over its room");
    conns[redis_commands].out_len -= room - (uint32_t)(p - start);  /* give back what it did not take */
    *pending_push() = (struct pending){.script = n};
    for (uint32_t i = 0; i < n; i++) *pending_push() = staged[i];
    staged_count = 0;
}

/* A reply to a command sent before the node listens (blocking, up to 5 s); the reply
 * stays at the start of the connection's input until `consume_reply`. */
static long await_reply(int fd, const char *what, struct resp *reply) {
    struct conn *c = &conns[fd];
    if (c->in_cap < 2 * READ_BUFFER) {
        c->in_cap = 2 * READ_BUFFER;
        if (!(c->in = realloc(c->in, c->in_cap))) die("out of memory");
    }
    uint64_t deadline = now_ns() + 5000000000ull;
    for (;;) {
        long used = resp_parse(c->in, c->in_len, reply);
        if (used < 0) die("%s: not RESP", what);
        if (used > 0) return used;
        if (now_ns() > deadline) die("Redis did not answer %s within 5 s", what);
        ssize_t n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n == 0) die("Redis closed the connection (%s)", what);
        if (n < 0) { usleep(1000); continue; }
        c->in_len += (uint32_t)n;
    }
}

static void consume_reply(int fd, long used) {
    struct conn *c = &conns[fd];
    memmove(c->in, c->in + used, c->in_len - (uint32_t)used);
    c->in_len -= (uint32_t)used;
}

/* Both Redis connections, and the subscription confirmed before the node listens: a
 * batch published before it would be lost to this node. */
static void node_start(int argc, char **argv) {
    int redis_port = atoi(option(argc, argv, "--redis-port", "0"));
    node_index = (uint32_t)atol(option(argc, argv, "--node-index", "0"));
    key_prefix = option(argc, argv, "--prefix", key_prefix);
    if (redis_port <= 0) die("node needs --redis-port");
    redis_commands = connect_loopback(redis_port);
    add_conn(redis_commands)->role = REDIS_COMMANDS;
    redis_events = connect_loopback(redis_port);
    struct conn *events = add_conn(redis_events);
    events->role = REDIS_EVENTS;
    char channel[128];
    int channel_len = snprintf(channel, sizeof channel, "%s:conv-events", key_prefix);
    uint8_t command[256], *p = command;
    p += sprintf((char *)p, "*2\r\n");
    p = bulk(p, "SUBSCRIBE", 9);
    p = bulk(p, channel, (uint32_t)channel_len);
    if (send(redis_events, command, (size_t)(p - command), MSG_NOSIGNAL) != p - command) die("SUBSCRIBE: %s", strerror(errno));
    struct resp reply;
    long used = await_reply(redis_events, "SUBSCRIBE", &reply);
    if (reply.type != '*' || reply.count != 3 || reply.items[0].len != 9) die("SUBSCRIBE %s: unexpected reply", channel);
    consume_reply(redis_events, used);
    one_script = flag(argc, argv, "--one-script");
    if (one_script) {
        uint8_t load[sizeof script_body + 64], *q = load;
        q += sprintf((char *)q, "*3\r\n");
        q = bulk(q, "SCRIPT", 6);
        q = bulk(q, "LOAD", 4);
        q = bulk(q, script_body, sizeof script_body - 1);
        if (send(redis_commands, load, (size_t)(q - load), MSG_NOSIGNAL) != q - load) die("SCRIPT LOAD: %s", strerror(errno));
        used = await_reply(redis_commands, "SCRIPT LOAD", &reply);
        if (reply.type != '$' || reply.len != 40) die("SCRIPT LOAD: %c%.*s", reply.type, (int)reply.len, (const char *)reply.text);
        memcpy(script_sha, reply.text, 40);
        consume_reply(redis_commands, used);
    }
    batch_cap = 64 * 1024;
    if (!(batch = malloc(batch_cap))) die("out of memory");
    put32(batch, node_index);
    batch_len = 4;
}

static int node(int argc, char **argv) {
    static const struct broker_mode cluster = {.name = "node", .client_frame = node_frame, .start = node_start,
                                               .redis_readable = redis_readable, .end_of_iteration = publish_batch};
    static const struct broker_mode scripted = {.name = "node", .client_frame = node_frame, .start = node_start,
                                                .redis_readable = redis_readable, .end_of_iteration = send_script};
    return serve(argc, argv, flag(argc, argv, "--one-script") ? &scripted : &cluster);
}

/* ---- Load generator -------------------------------------------------------------- */

/* Latencies in µs, log-linear buckets (32 per power of two above 64 µs: ±3%). */
#define BUCKETS (64 + 40 * 32)
struct histogram { uint64_t count[BUCKETS], total; };

static int bucket_of(uint64_t us) {
    if (us < 64) return (int)us;
    int msb = 63 - __builtin_clzll(us);
    int index = 64 + (msb - 6) * 32 + (int)((us >> (msb - 5)) & 31);
    return index < BUCKETS ? index : BUCKETS - 1;
}

static uint64_t bucket_floor(int index) {
    if (index < 64) return (uint64_t)index;
    int msb = (index - 64) / 32 + 6, sub = (index - 64) % 32;
    return ((uint64_t)(32 + sub)) << (msb - 5);
}

static void record(struct histogram *h, uint64_t ns) {
    h->count[bucket_of(ns / 1000)]++;
    h->total++;
}

static double percentile_ms(const struct histogram *h, double p) {
    if (h->total == 0) return 0;
    uint64_t rank = (uint64_t)(p / 100 * (double)h->total + 0.5), seen = 0;
    if (rank < 1) rank = 1;
    for (int i = 0; i < BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= rank) return (double)bucket_floor(i) / 1000;
    }
    return 0;
}

#define MAX_NODES 16

static struct {
    uint32_t conversations, agents, reply_every;
    int ports[MAX_NODES], nodes;  /* a broker's, or a cluster's nodes' */
    uint32_t *c2a_next;    /* per customer: the seq its agent should see next */
    uint32_t *reply_next;  /* per customer: the seq of its agent's next reply */
    uint32_t *a2c_next;    /* per customer: the reply seq it should see next */
    int *customer_fd;
    uint64_t sent, acks_c, c2a, replies, acks_a, a2c, ready;
    uint64_t out_of_order, unexpected;
    bool measuring;
    uint64_t now;
    uint64_t measured_c2a, measured_a2c, measured_sent, measured_replies;
    struct histogram c2a_latency, a2c_latency;
    /* c2a split at the broker's read: waiting for the broker, then for the agent's read */
    struct histogram c2a_before_broker, c2a_after_broker;
} load;

/* Customer i's agent. On one broker agent i % A, as always; on a cluster, where customer
 * i is on node i % N and agent a on node (a + 1) % N, agent (i / N) % A, so that a third
 * of the conversations (with 3 nodes) have both sides on one node and two thirds cross,
 * as when the real centre hands a customer to whichever agent is free (bench_cluster.py;
 * i % A with A = 99 would make every one cross). */
static uint32_t agent_of(uint32_t customer) {
    return load.nodes == 1 ? customer % load.agents : (customer / (uint32_t)load.nodes) % load.agents;
}

static void load_frame(int fd, uint8_t kind, const uint8_t *payload, uint32_t length) {
    struct conn *c = &conns[fd];
    switch (kind) {
    case READY:
        load.ready++;
        return;
    case ACK:
        if (length < 4) break;
        if (c->role == CUSTOMER) {
            if (get32(payload) != c->acked) load.out_of_order++;
            c->acked = get32(payload) + 1;
            load.acks_c++;
        } else {
            load.acks_a++;
        }
        return;
    case EVENT: {
        if (length < 24) break;
        uint32_t customer = get32(payload), seq = get32(payload + 4);
        uint64_t sent = get64(payload + 8);
        if (customer >= load.conversations) break;
        if (c->role == AGENT) {
            if (agent_of(customer) != c->id || seq != load.c2a_next[customer]) load.out_of_order++;
            load.c2a_next[customer] = seq + 1;
            load.c2a++;
            if (load.measuring) {
                uint64_t read_by_broker = get64(payload + 16);
                load.measured_c2a++;
                record(&load.c2a_latency, load.now - sent);
                record(&load.c2a_before_broker, read_by_broker > sent ? read_by_broker - sent : 0);
                record(&load.c2a_after_broker, load.now > read_by_broker ? load.now - read_by_broker : 0);
            }
            if (load.reply_every && ++c->since_reply >= load.reply_every) {
                c->since_reply = 0;
                uint8_t *p = frame(fd, REPLY, MESSAGE_SIZE);
                put32(p + HEADER, customer);
                put32(p + HEADER + 4, load.reply_next[customer]++);
                put64(p + HEADER + 8, now_ns());
                memcpy(p + HEADER + 16, filler, MESSAGE_SIZE - HEADER - 16);
                load.replies++;
                if (load.measuring) load.measured_replies++;
            }
        } else {
            if (customer != c->id || seq != load.a2c_next[customer]) load.out_of_order++;
            load.a2c_next[customer] = seq + 1;
            load.a2c++;
            if (load.measuring) {
                load.measured_a2c++;
                record(&load.a2c_latency, load.now - sent);
            }
        }
        return;
    }
    }
    load.unexpected++;
}

static struct epoll_event load_events[MAX_EVENTS];

/* One iteration of the load's loop: wait (at most `timeout_ms`), read what came. */
static void pump(int timeout_ms) {
    int n = epoll_wait(epfd, load_events, MAX_EVENTS, timeout_ms);
    if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    load.now = now_ns();
    for (int i = 0; i < n; i++) {
        int fd = load_events[i].data.fd;
        struct conn *c = &conns[fd];
        if (!c->open) continue;
        if ((load_events[i].events & EPOLLOUT) && !c->dirty) {
            c->dirty = true;
            dirty_list[dirty_count++] = fd;
        }
        if (load_events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            if (!read_once(fd, load_frame)) die("the broker closed a %s connection", c->role == AGENT ? "agent" : "customer");
        }
    }
}

/* Connects everyone in batches, each batch registered (READY) before the next, so the
 * listen backlog never overflows into SYN retries. Customers go to the nodes in turn,
 * agents the same way shifted by one node (bench_cluster.py's customer and agent URLs). */
static void open_connections(void) {
    uint32_t total = load.agents + load.conversations, batch = 500;
    for (uint32_t first = 0; first < total; first += batch) {
        uint32_t last = first + batch < total ? first + batch : total;
        for (uint32_t i = first; i < last; i++) {
            int fd = connect_loopback(i < load.agents ? load.ports[(i + 1) % (uint32_t)load.nodes]
                                                      : load.ports[(i - load.agents) % (uint32_t)load.nodes]);
            struct conn *c = add_conn(fd);
            if (i < load.agents) {
                c->role = AGENT, c->id = i;
                put32(frame(fd, HELLO_AGENT, HEADER + 4) + HEADER, i);
            } else {
                uint32_t customer = i - load.agents;
                c->role = CUSTOMER, c->id = customer, c->agent = agent_of(customer);
                uint8_t *p = frame(fd, HELLO_CUSTOMER, HEADER + 8);
                put32(p + HEADER, customer);
                put32(p + HEADER + 4, c->agent);
                load.customer_fd[customer] = fd;
            }
        }
        flush_all();
        uint64_t deadline = now_ns() + 10000000000ull;
        while (load.ready < last) {
            pump(10);
            flush_all();
            if (now_ns() > deadline) die("the broker registered %llu of %u connections in 10 s", (unsigned long long)load.ready, last);
        }
    }
}

/* utime + stime of `pid` in seconds, from /proc (what switchboard-loadtest reads). */
static double proc_cpu_seconds(int pid) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;
    char *p = strrchr(text, ')');
    if (!p) return -1;
    unsigned long long utime = 0, stime = 0;
    /* after ") ": state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Busy and total ticks of one core from /proc/stat (softirq time included). */
static void core_ticks(int core, unsigned long long *busy, unsigned long long *total) {
    *busy = *total = 0;
    FILE *f = fopen("/proc/stat", "re");
    if (!f) return;
    char line[512], name[16];
    snprintf(name, sizeof name, "cpu%d ", core);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, strlen(name)) != 0) continue;
        unsigned long long v[8] = {0};
        sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
        for (int i = 0; i < 8; i++) *total += v[i];
        *busy = *total - v[3] - v[4];  /* less idle and iowait */
        break;
    }
    fclose(f);
}

/* The brokers (one, or a cluster's nodes) and Redis the load samples. */
static struct {
    int pids[MAX_NODES], count, redis_pid;
    const struct broker_stats *stats[MAX_NODES];
    int stats_count;
} servers;

struct sample {
    uint64_t at;
    double mine, server, each[MAX_NODES], redis;
    unsigned long long busy[2], total[2];
    struct broker_stats broker;  /* all brokers' counts added up */
};

static void take_sample(struct sample *s) {
    s->at = now_ns();
    s->mine = self_cpu_seconds();
    s->server = servers.count ? 0 : -1;
    for (int i = 0; i < servers.count; i++) {
        s->each[i] = proc_cpu_seconds(servers.pids[i]);
        s->server = s->each[i] < 0 || s->server < 0 ? -1 : s->server + s->each[i];
    }
    s->redis = servers.redis_pid > 0 ? proc_cpu_seconds(servers.redis_pid) : -1;
    for (int core = 0; core < 2; core++) core_ticks(core, &s->busy[core], &s->total[core]);
    memset(&s->broker, 0, sizeof s->broker);
    for (int i = 0; i < servers.stats_count; i++) {
        const uint64_t *from = (const uint64_t *)servers.stats[i];
        uint64_t *to = (uint64_t *)&s->broker;
        for (size_t f = 0; f < sizeof s->broker / sizeof(uint64_t); f++) to[f] += from[f];
    }
}

static int run_load(int argc, char **argv) {
    char *values[MAX_NODES];
    load.nodes = option_values(argc, argv, "--port", values, MAX_NODES);
    for (int i = 0; i < load.nodes; i++)
        if ((load.ports[i] = atoi(values[i])) <= 0) die("--port %s: not a port", values[i]);
    servers.count = option_values(argc, argv, "--server-pid", values, MAX_NODES);
    for (int i = 0; i < servers.count; i++) servers.pids[i] = atoi(values[i]);
    servers.redis_pid = atoi(option(argc, argv, "--redis-pid", "0"));
    load.conversations = (uint32_t)atol(option(argc, argv, "--conversations", "10000"));
    load.agents = (uint32_t)atol(option(argc, argv, "--agents", "100"));
    double rate = atof(option(argc, argv, "--rate", "20000"));
    double seconds = atof(option(argc, argv, "--seconds", "5"));
    double warmup = atof(option(argc, argv, "--warmup", "2"));
    load.reply_every = (uint32_t)atol(option(argc, argv, "--reply-every", "10"));
    bool json = flag(argc, argv, "--json"), quiet = flag(argc, argv, "--quiet"), marks = flag(argc, argv, "--marks");
    if (load.nodes == 0 || load.conversations == 0 || load.agents == 0 || rate <= 0 || seconds <= 0 || warmup < 0)
        die("load needs --port, and positive --conversations, --agents, --rate, --seconds");
    prctl(PR_SET_PDEATHSIG, SIGKILL);

    servers.stats_count = option_values(argc, argv, "--server-stats", values, MAX_NODES);
    for (int i = 0; i < servers.stats_count; i++) {
        int fd = open(values[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) die("%s: %s", values[i], strerror(errno));
        servers.stats[i] = mmap(NULL, sizeof *servers.stats[i], PROT_READ, MAP_SHARED, fd, 0);
        if (servers.stats[i] == MAP_FAILED) die("mmap %s: %s", values[i], strerror(errno));
        close(fd);
    }
    const bool broker = servers.stats_count > 0;
    setup_tables();
    load.c2a_next = calloc(load.conversations, sizeof(uint32_t));
    load.reply_next = calloc(load.conversations, sizeof(uint32_t));
    load.a2c_next = calloc(load.conversations, sizeof(uint32_t));
    load.customer_fd = calloc(load.conversations, sizeof(int));
    if (!load.c2a_next || !load.reply_next || !load.a2c_next || !load.customer_fd) die("out of memory");

    uint64_t setup_start = now_ns();
    open_connections();
    double setup_seconds = (double)(now_ns() - setup_start) / 1e9;
    if (!quiet) fprintf(stderr, "relay_floor load: %u agents and %u customers connected in %.1f s\n", load.agents, load.conversations, setup_seconds);

    /* Sending: every 1 ms tick (or sooner, when reads wake the loop) sends the messages
     * due by then, one per customer in turn; the schedule is cumulative, so a late tick
     * sends more, not fewer. */
    uint64_t start = now_ns(), window_start = start + (uint64_t)(warmup * 1e9),
             window_end = window_start + (uint64_t)(seconds * 1e9);
    double per_ns = rate / 1e9;
    uint32_t next_customer = 0;
    uint64_t max_lag_ns = 0;
    struct sample first = {0}, last = {0};
    bool started = false;
    load.now = start;
    while (load.now < window_end) {
        uint64_t due = (uint64_t)((double)(load.now - start) * per_ns);
        if (due > load.sent) {
            uint64_t late = load.now - start - (uint64_t)((double)load.sent / per_ns);
            if (started && late > max_lag_ns) max_lag_ns = late;
        }
        while (load.sent < due) {
            uint32_t customer = next_customer;
            next_customer = next_customer + 1 == load.conversations ? 0 : next_customer + 1;
            int fd = load.customer_fd[customer];
            struct conn *c = &conns[fd];
            uint8_t *p = frame(fd, MESSAGE, MESSAGE_SIZE);
            put32(p + HEADER, c->next_seq++);
            put64(p + HEADER + 4, load.now);
            memcpy(p + TEXT_OFFSET, filler, MESSAGE_SIZE - TEXT_OFFSET);
            load.sent++;
            if (load.measuring) load.measured_sent++;
        }
        flush_all();
        if (!started && load.now >= window_start) {
            started = true;
            load.measuring = true;
            take_sample(&first);
            /* For a driver that samples more (Redis's INFO) at the window's edges. */
            if (marks) fprintf(stderr, "relay_floor load: measuring\n");
        }
        uint64_t next_tick = load.now + 1000000 - (load.now - start) % 1000000;
        pump(next_tick > now_ns() ? 1 : 0);
    }
    load.measuring = false;
    take_sample(&last);
    if (marks) fprintf(stderr, "relay_floor load: measured; draining\n");
    flush_all();

    /* Draining: every message and reply acknowledged and delivered, or 10 s. */
    uint64_t drain_deadline = now_ns() + 10000000000ull;
    for (;;) {
        bool settled = load.acks_c == load.sent && load.c2a == load.sent && load.acks_a == load.replies && load.a2c == load.replies;
        if (settled || now_ns() > drain_deadline) break;
        pump(5);
        flush_all();
    }
    double drain_seconds = (double)(now_ns() - window_end) / 1e9;

    double window = (double)(last.at - first.at) / 1e9;
    double relayed = (double)(load.measured_c2a + load.measured_a2c) / window;
    double my_cpu = (last.mine - first.mine) / window * 100;
    double server_cpu = first.server >= 0 && last.server >= 0 ? (last.server - first.server) / window * 100 : -1;
    double redis_cpu = first.redis >= 0 && last.redis >= 0 ? (last.redis - first.redis) / window * 100 : -1;
    double core_busy[2];
    for (int core = 0; core < 2; core++) {
        unsigned long long total = last.total[core] - first.total[core];
        core_busy[core] = total ? (double)(last.busy[core] - first.busy[core]) / (double)total * 100 : -1;
    }
    uint64_t missing_acks = load.sent - load.acks_c + load.replies - load.acks_a;
    uint64_t missing_events = load.sent - load.c2a + load.replies - load.a2c;
    uint64_t errors = missing_acks + missing_events + load.out_of_order + load.unexpected;

    printf("relay_floor load: %u conversations, %u agents (answer every %uth), target %.0f customer msg/s, %.1f s measured\n",
           load.conversations, load.agents, load.reply_every, rate, window);
    printf("  relayed %.0f msg/s (customer→agent %.0f, agent→customer %.0f); customers sent %.0f msg/s\n", relayed,
           load.measured_c2a / window, load.measured_a2c / window, load.measured_sent / window);
    printf("  customer→agent latency p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms; pacing lag max %.2f ms\n",
           percentile_ms(&load.c2a_latency, 50), percentile_ms(&load.c2a_latency, 99), percentile_ms(&load.c2a_latency, 99.9),
           max_lag_ns / 1e6);
    printf("  of which: before the broker's read p50 %.2f ms p99 %.2f ms, after it p50 %.2f ms p99 %.2f ms\n",
           percentile_ms(&load.c2a_before_broker, 50), percentile_ms(&load.c2a_before_broker, 99),
           percentile_ms(&load.c2a_after_broker, 50), percentile_ms(&load.c2a_after_broker, 99));
    printf("  cpu: load %.0f%% of a core", my_cpu);
    if (server_cpu >= 0) printf(", %s %.0f%%", servers.count > 1 ? "nodes" : "broker", server_cpu);
    if (redis_cpu >= 0) printf(", Redis %.0f%%", redis_cpu);
    printf("; core 0 busy %.0f%%, core 1 %.0f%%\n", core_busy[0], core_busy[1]);
    printf("  total: sent %llu, acked %llu, events at agents %llu; replies %llu, acked %llu, events at customers %llu\n",
           (unsigned long long)load.sent, (unsigned long long)load.acks_c, (unsigned long long)load.c2a,
           (unsigned long long)load.replies, (unsigned long long)load.acks_a, (unsigned long long)load.a2c);
    if (errors)
        printf("  MISMATCH: %llu acks and %llu events missing after %.1f s of draining, %llu out of order, %llu unexpected frames\n",
               (unsigned long long)missing_acks, (unsigned long long)missing_events, drain_seconds,
               (unsigned long long)load.out_of_order, (unsigned long long)load.unexpected);
    printf("  errors: %llu\n", (unsigned long long)errors);

    if (json) {
        char server_cpu_text[32] = "null";
        if (server_cpu >= 0) snprintf(server_cpu_text, sizeof server_cpu_text, "%.1f", server_cpu);
        printf("{\"conversations\":%u,\"agents\":%u,\"reply_every\":%u,\"rate\":%.0f,\"seconds\":%.3f,\"setup_seconds\":%.2f,"
               "\"relayed_per_sec\":%.1f,\"c2a_per_sec\":%.1f,\"a2c_per_sec\":%.1f,\"customer_sent_per_sec\":%.1f,"
               "\"c2a_p50_ms\":%.3f,\"c2a_p99_ms\":%.3f,\"c2a_p999_ms\":%.3f,\"a2c_p99_ms\":%.3f,\"pacing_lag_max_ms\":%.2f,"
               "\"c2a_before_broker_p50_ms\":%.3f,\"c2a_before_broker_p99_ms\":%.3f,"
               "\"c2a_after_broker_p50_ms\":%.3f,\"c2a_after_broker_p99_ms\":%.3f,"
               "\"client_cpu_pct\":%.1f,\"server_cpu_pct\":%s,\"core0_busy_pct\":%.1f,\"core1_busy_pct\":%.1f,"
               "\"sent\":%llu,\"acked\":%llu,\"events_at_agents\":%llu,\"replies\":%llu,\"replies_acked\":%llu,"
               "\"events_at_customers\":%llu,\"out_of_order\":%llu,\"unexpected\":%llu,\"errors\":%llu,\"drain_seconds\":%.2f",
               load.conversations, load.agents, load.reply_every, rate, window, setup_seconds, relayed, load.measured_c2a / window,
               load.measured_a2c / window, load.measured_sent / window, percentile_ms(&load.c2a_latency, 50),
               percentile_ms(&load.c2a_latency, 99), percentile_ms(&load.c2a_latency, 99.9), percentile_ms(&load.a2c_latency, 99),
               max_lag_ns / 1e6, percentile_ms(&load.c2a_before_broker, 50), percentile_ms(&load.c2a_before_broker, 99),
               percentile_ms(&load.c2a_after_broker, 50), percentile_ms(&load.c2a_after_broker, 99), my_cpu, server_cpu_text, core_busy[0], core_busy[1],
               (unsigned long long)load.sent, (unsigned long long)load.acks_c, (unsigned long long)load.c2a,
               (unsigned long long)load.replies, (unsigned long long)load.acks_a, (unsigned long long)load.a2c,
               (unsigned long long)load.out_of_order, (unsigned long long)load.unexpected, (unsigned long long)errors, drain_seconds);
        if (redis_cpu >= 0) printf(",\"redis_cpu_pct\":%.1f", redis_cpu);
        if (servers.count > 1) {
            printf(",\"server_cpu_pct_each\":[");
            for (int i = 0; i < servers.count; i++)
                printf("%s%.1f", i ? "," : "", first.each[i] >= 0 && last.each[i] >= 0 ? (last.each[i] - first.each[i]) / window * 100 : -1);
            printf("]");
        }
        if (broker) {
            /* The broker's own counts over the window: syscalls and wake-ups per message. */
            const struct broker_stats *a = &first.broker, *b = &last.broker;
#define D(field) (unsigned long long)(b->field - a->field)
            printf(",\"broker\":{\"iterations\":%llu,\"events\":%llu,\"recvs\":%llu,\"recv_bytes\":%llu,\"sends\":%llu,"
                   "\"send_bytes\":%llu,\"short_sends\":%llu,\"epoll_ctls\":%llu,\"messages\":%llu,\"replies\":%llu,"
                   "\"events_out\":%llu,\"undeliverable\":%llu,\"xadds\":%llu,\"refused\":%llu,\"publishes\":%llu,"
                   "\"published_entries\":%llu,\"heard_entries\":%llu}",
                   D(iterations), D(events), D(recvs), D(recv_bytes), D(sends), D(send_bytes), D(short_sends), D(epoll_ctls),
                   D(messages), D(replies), D(events_out), D(undeliverable), D(xadds), D(refused), D(publishes),
                   D(published_entries), D(heard_entries));
#undef D
        }
        printf("}\n");
    }
    fflush(stdout);

    /* Abortive close: RST instead of FIN, so 10,000 client ports do not sit in TIME_WAIT
     * before the next run. */
    struct linger hard = {.l_onoff = 1, .l_linger = 0};
    for (int fd = 0; fd < max_fds; fd++)
        if (conns[fd].open) setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    return errors ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "broker") == 0) return broker(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "node") == 0) return node(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "load") == 0) return run_load(argc, argv);
    fprintf(stderr,
            "usage: relay_floor broker --port P [--stats FILE] [--max-seconds S]\n"
            "       relay_floor node --port P --redis-port R --node-index I [--prefix K] [--one-script] [--stats FILE]\n"
            "                        [--max-seconds S]\n"
            "       relay_floor load --port P[,P2,...] --conversations N --agents A --rate R --seconds S --warmup W\n"
            "                        --reply-every K [--server-pid PID[,...]] [--server-stats FILE[,...]] [--redis-pid PID]\n"
            "                        [--json] [--quiet] [--marks]\n"
            "The floor of Switchboard's relay: the broker's epoll/recv/send pattern over loopback TCP, nothing else.\n"
            "Driven by loadtest/bench_floor.py and loadtest/bench_floor_cluster.py.\n");
    return 2;
}
