// C declarations Swift cannot import from Glibc directly.
#ifndef SWITCHBOARD_CSHIMS_H
#define SWITCHBOARD_CSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <signal.h>

/// accept4(2) needs _GNU_SOURCE, which a Swift module cannot define for Glibc.
int switchboard_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// eventfd(2) from <sys/eventfd.h>, which Glibc's module map leaves out.
int switchboard_eventfd(unsigned int initval, int flags);

/// Ignore SIGPIPE process-wide: a peer that vanishes must give EPIPE, not kill the broker.
void switchboard_ignore_sigpipe(void);

/// Block SIGINT, SIGTERM and SIGHUP in the calling thread (and threads it starts later),
/// so that only the thread that calls sigwait sees them.
void switchboard_block_shutdown_signals(void);

/// Wait for SIGINT, SIGTERM or SIGHUP; returns the signal number.
int switchboard_wait_shutdown_signal(void);

/// Names the calling thread (pthread_setname_np needs _GNU_SOURCE); 15 bytes at most.
void switchboard_set_thread_name(const char *name);
/// Lowest scheduling priority (nice 19) for the calling thread only; 0 or -1 (errno).
int switchboard_lower_thread_priority(void);

/// Cores in this process's affinity mask (sched_getaffinity needs _GNU_SOURCE); 0 on error.
int switchboard_available_cores(void);

#endif
