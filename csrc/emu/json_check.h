#ifndef ACLLITE_EMU_JSON_CHECK_H
#define ACLLITE_EMU_JSON_CHECK_H
#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 10

/* true when text is a well-formed JSON object nested at most JSON_MAX_DEPTH deep; else the offset and reason. */
bool json_check(const char *text, size_t len, size_t *error_offset, const char **error);

#endif
