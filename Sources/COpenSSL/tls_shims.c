#include "COpenSSL.h"
#include <string.h>
#include <stdio.h>

static void take_error(char *buffer, size_t length, const char *fallback) {
    unsigned long code = ERR_get_error();
    if (code != 0) {
        ERR_error_string_n(code, buffer, length);
    } else if (length > 0) {
        snprintf(buffer, length, "%s", fallback);
    }
    ERR_clear_error();
}

void switchboard_tls_last_error(char *buffer, size_t length) {
    if (length == 0) return;
    buffer[0] = 0;
    take_error(buffer, length, "");
}

// ALPN (RFC 7301): choose http/1.1 when offered; otherwise go on without ALPN rather
// than fail, since WebSocket clients often send none.
static int select_http11(SSL *ssl, const unsigned char **out, unsigned char *out_length,
                         const unsigned char *in, unsigned int in_length, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char http11[] = "\x08http/1.1";
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, out_length, http11, sizeof(http11) - 1, in, in_length) == OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static void common_settings(SSL_CTX *ctx) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Partial writes and a moving write buffer suit a nonblocking outbound queue;
    // releasing buffers keeps idle connections small.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

SSL_CTX *switchboard_tls_server_context(const char *certificate_path, const char *key_path, char *error, size_t error_length) {
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) { take_error(error, error_length, "SSL_CTX_new failed"); return NULL; }
    common_settings(ctx);
    if (SSL_CTX_use_certificate_chain_file(ctx, certificate_path) != 1) {
        take_error(error, error_length, "cannot load the certificate");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
        take_error(error, error_length, "cannot load the private key");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        take_error(error, error_length, "the private key does not match the certificate");
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(ctx, select_http11, NULL);
    // No session resumption is offered (no ticket keys are shared between restarts),
    // so TLS 1.3 session tickets would be wasted work on every handshake. With them on,
    // about one wss handshake in 500 from Python clients stalled here: the request never
    // reached us (kernel and OpenSSL both empty). Not understood yet; the SIGHUP storm
    // test in Tests/interop/test_tls.py catches it.
    SSL_CTX_set_num_tickets(ctx, 0);
    return ctx;
}

SSL_CTX *switchboard_tls_client_context(const char *ca_path, char *error, size_t error_length) {
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) { take_error(error, error_length, "SSL_CTX_new failed"); return NULL; }
    common_settings(ctx);
    if (ca_path) {
        if (SSL_CTX_load_verify_locations(ctx, ca_path, NULL) != 1) {
            take_error(error, error_length, "cannot load the CA file");
            SSL_CTX_free(ctx);
            return NULL;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    static const unsigned char http11[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, http11, sizeof(http11) - 1);
    // Read ahead: take whole socket reads into OpenSSL's buffer instead of two read(2)
    // calls per record, so a load generator facing servers that send one small record
    // per message is not the bottleneck. The caller must drain SSL_read until
    // WANT_READ (bytes in OpenSSL's buffer wake no epoll).
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

int switchboard_tls_set_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
