#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CShims.h"
#include <assert.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

// Swift reads epoll_event as packed with `data` at offset 4; fail the build if not.
_Static_assert(sizeof(struct epoll_event) == 12, "epoll_event must be packed (12 bytes)");
_Static_assert(offsetof(struct epoll_event, data) == 4, "epoll_event.data at offset 4");

int switchboard_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

int switchboard_eventfd(unsigned int initval, int flags) {
    return eventfd(initval, flags);
}

void switchboard_ignore_sigpipe(void) {
    signal(SIGPIPE, SIG_IGN);
}

static void shutdown_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

void switchboard_block_shutdown_signals(void) {
    sigset_t set;
    shutdown_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int switchboard_wait_shutdown_signal(void) {
    sigset_t set;
    shutdown_signals(&set);
    int signo = 0;
    while (sigwait(&set, &signo) != 0) {}
    return signo;
}

void switchboard_set_thread_name(const char *name) {
    char shortName[16];
    strncpy(shortName, name, 15);
    shortName[15] = 0;
    pthread_setname_np(pthread_self(), shortName);
}

/* Background work (a cluster snapshot's encoding) yields to the event loops: the
   calling thread alone gets the lowest priority (on Linux a nice value is per thread). */
int switchboard_lower_thread_priority(void) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
}

int switchboard_available_cores(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}
