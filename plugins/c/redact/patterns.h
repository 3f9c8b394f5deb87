/* patterns.h: the text patterns redact masks, built from the
 * configuration, and the masking of one string (see patterns.c). */
#ifndef REDACT_PATTERNS_H
#define REDACT_PATTERNS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct patterns patterns;

/* NULL and *out set, or the configuration error naming the field and the
 * pattern. */
const char *patterns_new(const char **builtin, size_t builtin_count, const char **custom,
                         size_t custom_count, patterns **out);

/* `text` (`len` bytes, NUL after them) with every match replaced: true and
 * a malloc'd *masked of *masked_len bytes, or false if nothing matched. */
bool patterns_mask(const patterns *p, const char *text, size_t len, const char *replacement,
                   char **masked, size_t *masked_len);

#endif
