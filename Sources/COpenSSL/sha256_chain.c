// SHA-256 for the transcript hash chain (protocol/storage.md, "Tamper evidence").
// The low-level SHA256_CTX lives on the stack: no allocation per record, unlike an
// EVP_MD_CTX, and the same libcrypto code (SHA-NI where the CPU has it).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "COpenSSL.h"
#include <openssl/sha.h>

void switchboard_sha256_chain(const unsigned char *previous, const void *data, size_t length, unsigned char *digest) {
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, previous, 32);
    SHA256_Update(&context, data, length);
    SHA256_Final(digest, &context);
}
