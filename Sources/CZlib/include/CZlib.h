// zlib for Swift: the header, plus functions for the init macros Swift cannot import.
#ifndef SWITCHBOARD_CZLIB_H
#define SWITCHBOARD_CZLIB_H
#include <zlib.h>

/// deflateInit2 (a macro) for raw deflate: pass windowBits as a negative number.
int switchboard_deflate_init(z_streamp stream, int level, int windowBits, int memLevel, int strategy);

/// inflateInit2 (a macro) for raw inflate: pass windowBits as a negative number.
int switchboard_inflate_init(z_streamp stream, int windowBits);

#endif
