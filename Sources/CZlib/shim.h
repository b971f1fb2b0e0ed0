#include <zlib.h>

/// inflateInit2 is a macro, which Swift cannot call: passes the header's version and z_stream size for it.
static inline int xr_inflate_init(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}
