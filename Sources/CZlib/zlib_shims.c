#include "CZlib.h"

int switchboard_deflate_init(z_streamp stream, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, strategy);
}

int switchboard_inflate_init(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
