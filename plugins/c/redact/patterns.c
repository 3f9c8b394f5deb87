/* patterns.c: the text patterns redact masks and the Luhn check that
 * tells a card number from any other long number (as
 * plugins/redact/src/patterns.rs, which it must match byte for byte).
 *
 * `email` is the Rust regex itself, compiled by regcomp: it is plain ERE,
 * and for it POSIX's leftmost-longest match is the same as regex-lite's
 * leftmost-first. `bearer` and `card` need \b, which ERE lacks, so they
 * are matched by hand, step for step as their regexes
 *   bearer  (?i)\bbearer\s+[A-Za-z0-9._~+/=-]+
 *   card    \b\d(?:[ -]?\d){12,}\b
 * Custom patterns go through translate.c to regcomp. Matches are replaced
 * left to right, one pattern after the other, and an empty match right
 * after a match is skipped, as Rust's replace_all does. Text may hold
 * NULs (regexec stops at one), so a regex is run on each NUL-free stretch.
 */
#include "patterns.h"

#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "translate.h"
#include "weir.h"

typedef enum { REGEX, BEARER, CARD } kind;
typedef struct {
  kind kind;
  regex_t regex;
} pattern;
struct patterns {
  pattern *list;
  size_t count;
};

typedef struct {
  char *ptr;
  size_t len, cap;
} buf;

/* Appends, keeping a NUL after the text (regexec reads up to it). */
static void put(buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->ptr = realloc(b->ptr, b->cap);
    if (!b->ptr) abort();
  }
  memcpy(b->ptr + b->len, s, n);
  b->len += n;
  b->ptr[b->len] = 0;
}

/* ASCII classes, as regex-lite's \d \w \s. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }
static bool is_word(char c) { return is_alnum(c) || c == '_'; }
static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool is_token(char c) { return is_alnum(c) || (c && strchr("._~+/=-", c)); }

static size_t utf8_width(unsigned char c) {
  return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static bool find_bearer(const char *s, size_t len, size_t from, size_t *start, size_t *end) {
  for (size_t i = from; i + 6 <= len; i++) {
    if (i > 0 && is_word(s[i - 1])) continue;
    size_t n = 0;
    while (n < 6 && (s[i + n] | 0x20) == "bearer"[n]) n++;
    if (n < 6) continue;
    size_t spaces = i + 6, token;
    while (spaces < len && is_space(s[spaces])) spaces++;
    if (spaces == i + 6) continue;
    for (token = spaces; token < len && is_token(s[token]); token++) {}
    if (token == spaces) continue;
    *start = i;
    *end = token;
    return true;
  }
  return false;
}

/* Greedy over the run of digits joined by single spaces or dashes, then
 * back to the last end with 13+ digits that a \b follows. If a run's
 * first digit has none, no later digit of it has one either (the same
 * ends, fewer digits), so the search goes on after the run: linear. */
static bool find_card(const char *s, size_t len, size_t from, size_t *start, size_t *end) {
  size_t i = from;
  while (i < len) {
    if (!is_digit(s[i]) || (i > 0 && is_word(s[i - 1]))) {
      i++;
      continue;
    }
    size_t j = i + 1, digits = 1, best = 0;
    for (;;) {
      if (digits >= 13 && (j >= len || !is_word(s[j]))) best = j;
      if (j < len && is_digit(s[j])) {
        j++;
      } else if (j + 1 < len && (s[j] == ' ' || s[j] == '-') && is_digit(s[j + 1])) {
        j += 2;
      } else {
        break;
      }
      digits++;
    }
    if (best) {
      *start = i;
      *end = best;
      return true;
    }
    i = j;
  }
  return false;
}

static bool find_regex(const regex_t *re, const char *s, size_t len, size_t from, size_t *start,
                       size_t *end) {
  for (size_t pos = from;;) {
    size_t stretch = pos + strlen(s + pos);
    if (stretch > len) stretch = len;
    int flags = (pos > 0 ? REG_NOTBOL : 0) | (stretch < len ? REG_NOTEOL : 0);
    regmatch_t m;
    if (regexec(re, s + pos, 1, &m, flags) == 0) {
      *start = pos + m.rm_so;
      *end = pos + m.rm_eo;
      return true;
    }
    if (stretch >= len) return false;
    pos = stretch + 1;
  }
}

static bool find(const pattern *p, const char *s, size_t len, size_t from, size_t *start,
                 size_t *end) {
  switch (p->kind) {
    case BEARER: return find_bearer(s, len, from, start, end);
    case CARD: return find_card(s, len, from, start, end);
    default: return find_regex(&p->regex, s, len, from, start, end);
  }
}

/* The Luhn checksum of the 13-19 digits in `text` (other bytes skipped). */
static bool luhn_valid(const char *text, size_t n) {
  unsigned sum = 0, count = 0;
  for (size_t i = n; i-- > 0;) {
    if (!is_digit(text[i])) continue;
    unsigned d = text[i] - '0';
    if (count++ % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return count >= 13 && count <= 19 && sum % 10 == 0;
}

/* Appends `run` with each card number in it masked (the longest window
 * of whole digit groups with 13-19 digits passing Luhn), or appends
 * nothing and returns false if it holds none. */
static bool mask_cards(const char *run, size_t n, const char *replacement, buf *out) {
  size_t (*groups)[2] = malloc(sizeof *groups * (n / 2 + 1)), count = 0;
  if (!groups) abort();
  for (size_t i = 0; i < n;) {
    if (!is_digit(run[i])) { i++; continue; }
    groups[count][0] = i;
    while (i < n && is_digit(run[i])) i++;
    groups[count++][1] = i;
  }
  size_t mark = out->len, copied = 0;
  for (size_t i = 0; i < count;) {
    size_t digits = 0, card = SIZE_MAX;
    for (size_t j = i; j < count; j++) {
      digits += groups[j][1] - groups[j][0];
      if (digits > 19) break;
      if (digits >= 13 && luhn_valid(run + groups[i][0], groups[j][1] - groups[i][0])) card = j;
    }
    if (card == SIZE_MAX) { i++; continue; }
    put(out, run + copied, groups[i][0] - copied);
    put(out, replacement, strlen(replacement));
    copied = groups[card][1];
    i = card + 1;
  }
  free(groups);
  if (copied == 0) {
    out->len = mark;
    return false;
  }
  put(out, run + copied, n - copied);
  return true;
}

/* One pattern over `s`: true if something was replaced (into `out`). */
static bool mask_one(const pattern *p, const char *s, size_t len, const char *replacement,
                     buf *out) {
  size_t pos = 0, copied = 0, last_end = SIZE_MAX;
  bool changed = false;
  while (pos <= len) {
    size_t start, end;
    if (!find(p, s, len, pos, &start, &end)) break;
    if (start == end && start == last_end) {
      pos = start + (start < len ? utf8_width(s[start]) : 1);
      continue;
    }
    put(out, s + copied, start - copied);
    if (p->kind != CARD) {
      put(out, replacement, strlen(replacement));
      changed = true;
    } else if (mask_cards(s + start, end - start, replacement, out)) {
      changed = true;
    } else {
      put(out, s + start, end - start);
    }
    copied = last_end = end;
    pos = end > start ? end : end + (end < len ? utf8_width(s[end]) : 1);
  }
  put(out, s + copied, len - copied);
  return changed;
}

bool patterns_mask(const patterns *p, const char *text, size_t len, const char *replacement,
                   char **masked, size_t *masked_len) {
  char *current = NULL;
  for (size_t i = 0; i < p->count; i++) {
    buf out = {0};
    put(&out, "", 0);
    if (mask_one(&p->list[i], current ? current : text, current ? *masked_len : len, replacement,
                 &out)) {
      free(current);
      current = out.ptr;
      *masked_len = out.len;
    } else {
      free(out.ptr);
    }
  }
  *masked = current;
  return current != NULL;
}

static const char EMAIL[] = "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}";

const char *patterns_new(const char **builtin, size_t builtin_count, const char **custom,
                         size_t custom_count, patterns **out) {
  patterns *p = calloc(1, sizeof *p);
  p->list = calloc(builtin_count + custom_count + 1, sizeof(pattern));
  for (size_t i = 0; i < builtin_count; i++) {
    pattern *pat = &p->list[p->count++];
    if (!strcmp(builtin[i], "email")) {
      pat->kind = REGEX;
      if (regcomp(&pat->regex, EMAIL, REG_EXTENDED)) abort(); /* a constant that compiles */
    } else if (!strcmp(builtin[i], "bearer")) {
      pat->kind = BEARER;
    } else if (!strcmp(builtin[i], "card")) {
      pat->kind = CARD;
    } else {
      return weir_errorf("invalid configuration at `patterns`: unknown pattern `%s` "
                         "(known: email, bearer, card; use `custom` for your own regexes)",
                         builtin[i]);
    }
  }
  for (size_t i = 0; i < custom_count; i++) {
    pattern *pat = &p->list[p->count];
    char *ere, reason[200];
    int cflags;
    const char *refused = regex_translate(custom[i], &ere, &cflags);
    if (!refused) {
      int code = regcomp(&pat->regex, ere, cflags);
      free(ere);
      if (code) {
        regerror(code, NULL, reason, sizeof reason);
        refused = reason;
      }
    }
    if (refused)
      return weir_errorf("invalid configuration at `custom`: bad regex `%s`: %s", custom[i], refused);
    pat->kind = REGEX;
    p->count++;
  }
  *out = p;
  return NULL;
}
