// SHA-1 from libcrypto, for the RFC 6455 accept key; nothing else.
#ifndef SWITCHBOARD_CSHA1_H
#define SWITCHBOARD_CSHA1_H

#include <stddef.h>

/// SHA-1 of `length` bytes into `digest` (20 bytes), from libcrypto (RFC 6455 §4.2.2 accept key).
void switchboard_sha1(const void *data, size_t length, unsigned char *digest);

#endif
