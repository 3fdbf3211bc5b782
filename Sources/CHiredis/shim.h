#ifndef HERALD_CHIREDIS_SHIM_H
#define HERALD_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

// why: redisReaderGetError is a macro, which Swift does not import.
static inline const char *chiredis_reader_errstr(redisReader *reader) { return reader->errstr; }
#endif
