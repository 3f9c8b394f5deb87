/* translate.c: turns a custom pattern written in the Rust version's
 * regex-lite syntax into a POSIX extended regular expression for the C
 * library's regcomp (wasi-libc ships musl's), or says which part of it
 * ERE cannot express.
 *
 * Hand-written because no regex library with Perl syntax comes with
 * wasi-libc, and one the size of the plugin is not worth vendoring for
 * the few constructs that differ:
 *   \d \w \s \D \W \S     -> ASCII bracket expressions (regex-lite's are ASCII)
 *   \. \* \( ... (escaped punctuation) -> the literal character
 *   \n \t \r \f \v        -> the character
 *   .                     -> any character but a newline, as in Rust
 *   (?:...)               -> (...)
 *   (?i) at the start     -> each ASCII letter as [xX] (regex-lite folds
 *                            ASCII only; REG_ICASE would fold é and É too)
 *   [...] with \d \w \s, escapes, [:alpha:] inside -> a POSIX bracket
 * Refused, naming the construct: lookaround and other (?...) groups, \b \B
 * \A \z, \p{..}, \x.., backreferences, lazy quantifiers (*? +? ?? {n}?),
 * nested classes and class set operations.
 */
#include "translate.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *ptr;
  size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n) {
  if (o->len + n + 1 > o->cap) {
    o->cap = (o->len + n + 1) * 2;
    o->ptr = realloc(o->ptr, o->cap);
    if (!o->ptr) abort();
  }
  memcpy(o->ptr + o->len, s, n);
  o->len += n;
  o->ptr[o->len] = 0;
}

static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }

/* The members of a Perl class, for use inside a bracket expression. */
static const char *class_members(char c) {
  switch (c) {
    case 'd': case 'D': return "0-9";
    case 'w': case 'W': return "0-9A-Za-z_";
    case 's': case 'S': return "\t\n\v\f\r ";
    default: return NULL;
  }
}

static int control(char c) {
  switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'f': return '\f';
    case 'v': return '\v';
    default: return 0;
  }
}

static int is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* With (?i), the letters of lo-hi in the other case (as more ranges). */
static void other_case(out *o, char lo, char hi) {
  for (int upper = 0; upper < 2; upper++) {
    char first = upper ? 'A' : 'a', last = upper ? 'Z' : 'z';
    char from = lo > first ? lo : first, to = hi < last ? hi : last;
    if (from > to) continue;
    char range[3] = {from ^ 0x20, '-', to ^ 0x20};
    put(o, range, 3);
  }
}

static int is_punct(char c) { return c && strchr("\\.+*?()|[]{}^$#&-~/ !\"%',:;<=>@`", c); }

static char message[256];
/* For what is valid regex-lite but beyond ERE; malformed patterns just
 * say what is wrong. */
static const char *refuse(const char *what) {
  snprintf(message, sizeof message, "%s is not supported by the C version (POSIX ERE)", what);
  return message;
}

/* A bracket expression starting after `[`; *src is moved past its `]`.
 * POSIX brackets have no escapes, so the members are collected and laid
 * out again: `]` first, `-` last, `^` not first. */
static const char *bracket(const char **src, out *o, int icase) {
  const char *p = *src;
  out members = {0};
  int negated = 0, close = 0, dash = 0, caret = 0;
  if (*p == '^') { negated = 1; p++; }
  if (*p == ']') { close = 1; p++; }
  while (*p && *p != ']') {
    char c = *p++;
    if (c == '[' && *p == ':') {
      const char *end = strstr(p, ":]");
      if (!end) return "unclosed `[:`";
      put(&members, p - 1, end + 2 - (p - 1));
      p = end + 2;
      continue;
    }
    if (c == '[') return refuse("a nested class");
    if ((c == '&' || c == '-' || c == '~') && *p == c) return refuse("a class set operation");
    if (c == '\\') {
      char e = *p;
      if (!e) break;
      p++;
      const char *members_of = class_members(e);
      if (members_of && e >= 'a') { puts_(&members, members_of); continue; }
      if (members_of) return refuse("a negated class (\\D \\W \\S) inside [...]");
      if (control(e)) c = control(e);
      else if (is_punct(e)) c = e;
      else return refuse("this escape inside [...]");
    }
    /* A range: the character, `-`, and an end that is not `]`. */
    if (p[0] == '-' && p[1] && p[1] != ']') {
      char end = p[1];
      p += 2;
      if (end == '\\') {
        char e = *p;
        if (e) p++;
        if (control(e)) end = control(e);
        else if (is_punct(e)) end = e;
        else return refuse("this escape ending a range");
      }
      char range[3] = {c, '-', end};
      put(&members, range, 3);
      if (icase) other_case(&members, c, end);
      continue;
    }
    if (c == ']') close = 1;
    else if (c == '-') dash = 1;
    else if (c == '^') caret = 1;
    else put(&members, &c, 1);
    if (icase && is_letter(c)) {
      char other = c ^ 0x20;
      put(&members, &other, 1);
    }
  }
  if (*p != ']') { free(members.ptr); return "unclosed `[`"; }
  *src = p + 1;
  if (!members.len && !close && !dash && !caret) { free(members.ptr); return "empty class `[]`"; }
  if (!negated && caret && !members.len && !close && !dash) {
    free(members.ptr);
    puts_(o, "\\^"); /* `[^]` would not be a caret */
    return NULL;
  }
  puts_(o, negated ? "[^" : "[");
  if (close) puts_(o, "]");
  if (members.len) put(o, members.ptr, members.len);
  if (caret) puts_(o, "^");
  if (dash) puts_(o, "-");
  puts_(o, "]");
  free(members.ptr);
  return NULL;
}

const char *regex_translate(const char *src, char **ere, int *cflags) {
  out o = {0};
  const char *error = NULL;
  int icase = !strncmp(src, "(?i)", 4);
  *cflags = REG_EXTENDED;
  puts_(&o, "");
  if (icase) src += 4;
  while (*src && !error) {
    char c = *src++;
    if (c == '\\') {
      char e = *src;
      if (!e) {
        error = "ends with a lone `\\`";
        break;
      }
      src++;
      const char *members = class_members(e);
      if (members) {
        puts_(&o, e >= 'a' ? "[" : "[^");
        puts_(&o, members);
        puts_(&o, "]");
      } else if (control(e)) {
        char ch = control(e);
        put(&o, &ch, 1);
      } else if (e == '^') {
        puts_(&o, "\\^");
      } else if (is_punct(e)) {
        /* A one-member bracket is literal in every ERE. */
        char lit[3] = {'[', e, ']'};
        put(&o, lit, 3);
      } else if (e == 'b' || e == 'B') {
        error = refuse("a word boundary (\\b, \\B)");
      } else {
        static char what[32];
        snprintf(what, sizeof what, "the escape \\%c", e);
        error = refuse(what);
      }
    } else if (c == '[') {
      error = bracket(&src, &o, icase);
    } else if (c == '.') {
      puts_(&o, "[^\n]");
    } else if (c == '(' && *src == '?') {
      if (!strncmp(src, "?:", 2)) {
        puts_(&o, "(");
        src += 2;
      } else if (!strncmp(src, "?=", 2) || !strncmp(src, "?!", 2) || !strncmp(src, "?<=", 3) ||
                 !strncmp(src, "?<!", 3)) {
        error = refuse("lookaround");
      } else {
        error = refuse("a (?...) group other than (?:...) (and (?i) at the start)");
      }
    } else if ((c == '*' || c == '+' || c == '?' || c == '}') && *src == '?') {
      error = refuse("a lazy quantifier");
    } else if (icase && is_letter(c)) {
      char both[4] = {'[', c, c ^ 0x20, ']'};
      put(&o, both, 4);
    } else {
      put(&o, &c, 1);
    }
  }
  if (error) {
    free(o.ptr);
    return error;
  }
  *ere = o.ptr;
  return NULL;
}
