#include "CSHA1.h"
#include <openssl/evp.h>

void switchboard_sha1(const void *data, size_t length, unsigned char *digest) {
    // EVP_Digest, not the deprecated SHA1(): same bytes, no OpenSSL 3 warning.
    unsigned int size = 20;
    EVP_Digest(data, length, digest, &size, EVP_sha1(), NULL);
}
