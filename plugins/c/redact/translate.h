/* translate.h: regex-lite syntax -> POSIX ERE (see translate.c). */
#ifndef REDACT_TRANSLATE_H
#define REDACT_TRANSLATE_H

/* NULL and *ere (malloc'd) and *cflags (for regcomp) set, or what in
 * `source` ERE cannot express. */
const char *regex_translate(const char *source, char **ere, int *cflags);

#endif
