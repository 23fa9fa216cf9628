// OpenSSL 3 (libssl-dev) for Swift: the headers, plus functions for the macros and
// the C callbacks Swift cannot express directly.
#ifndef SWITCHBOARD_COPENSSL_H
#define SWITCHBOARD_COPENSSL_H
#include <stddef.h>
#include <openssl/ssl.h>
#include <openssl/err.h>

/// A server context: TLS 1.2 minimum, no renegotiation or compression, partial writes,
/// buffers released while idle, ALPN "http/1.1", and the PEM certificate chain and key.
/// Returns NULL and writes the reason into `error` on failure.
SSL_CTX *switchboard_tls_server_context(const char *certificate_path, const char *key_path, char *error, size_t error_length);

/// A client context for the load generator: TLS 1.2 minimum; verifies the server
/// against `ca_path` when given, and not at all when NULL (loopback benchmarks only).
SSL_CTX *switchboard_tls_client_context(const char *ca_path, char *error, size_t error_length);

/// SSL_set_tlsext_host_name (a macro): the SNI name a client sends.
int switchboard_tls_set_host_name(SSL *ssl, const char *name);

/// The oldest queued OpenSSL error as text (clears the queue); "" when none.
void switchboard_tls_last_error(char *buffer, size_t length);

/// SHA-256 of the 32 bytes at `previous` followed by `length` bytes of `data`, into
/// `digest` (32 bytes): one link of the transcript hash chain.
void switchboard_sha256_chain(const unsigned char *previous, const void *data, size_t length, unsigned char *digest);

#endif
