/*
 * weir.c: the C SDK's implementation: the component's exports (describe,
 * init, process) over the wit-bindgen C bindings, a small JSON reader for
 * the flat configuration objects plugins take, and the batch accessors.
 *
 * Ownership, which the generated bindings leave to the author: what the
 * host returns is copied into a per-batch arena (freed after each
 * process, with the host's buffers freed at once), what is returned to
 * the host is malloc'd (the bindings' post-return frees it), and the
 * borrowed batch is dropped before process returns (else wasmtime traps
 * with "borrow handles still remain").
 */
#include "weir.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

struct weir_batch {
  weir_plugin_types_borrow_batch_t handle;
};

/* ---- per-batch arena ------------------------------------------------- */
typedef struct block {
  struct block *next;
  char data[];
} block;
static block *arena;

static void *arena_alloc(size_t size) {
  block *b = malloc(sizeof(block) + size + 1);
  if (!b) abort();
  b->next = arena;
  arena = b;
  return b->data;
}

static void arena_reset(void) {
  while (arena) {
    block *next = arena->next;
    free(arena);
    arena = next;
  }
}

static char *arena_string(const uint8_t *ptr, size_t len) {
  char *s = arena_alloc(len + 1);
  memcpy(s, ptr, len);
  s[len] = 0;
  return s;
}

static char error_buffer[1024];
const char *weir_errorf(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(error_buffer, sizeof error_buffer, format, args);
  va_end(args);
  return error_buffer;
}

/* ---- severity names ---------------------------------------------------- */
uint8_t weir_severity_parse(const char *text, const char **error) {
  static const struct { const char *name; uint8_t base; } names[] = {
    {"TRACE", 1}, {"DEBUG", 5}, {"INFO", 9}, {"INFORMATION", 9}, {"WARN", 13},
    {"WARNING", 13}, {"ERROR", 17}, {"FATAL", 21}, {"CRITICAL", 21}};
  char upper[32];
  size_t n = 0;
  while (isspace((unsigned char)*text)) text++;
  for (; text[n] && n < sizeof upper - 1; n++) upper[n] = toupper((unsigned char)text[n]);
  while (n && isspace((unsigned char)upper[n - 1])) n--;
  upper[n] = 0;
  char *end;
  long number = strtol(upper, &end, 10);
  if (n && *end == 0) {
    if (number >= 1 && number <= 24) return (uint8_t)number;
    *error = weir_errorf("severity number %ld is out of range 1-24", number);
    return 0;
  }
  size_t split = strcspn(upper, "0123456789");
  const char *step = upper + split;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strlen(names[i].name) == split && strncmp(upper, names[i].name, split) == 0) {
      if (!*step) return names[i].base;
      if (step[1] == 0 && step[0] >= '2' && step[0] <= '4') return names[i].base + step[0] - '1';
      *error = weir_errorf("unknown severity `%s`: the suffix must be 2, 3 or 4", text);
      return 0;
    }
  }
  *error = weir_errorf(
      "unknown severity `%s`: expected TRACE, DEBUG, INFO, WARN, ERROR, FATAL "
      "(optionally 2-4, e.g. INFO2) or a number 1-24", text);
  return 0;
}

/* ---- configuration: a flat JSON object ------------------------------- */
typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY } json_kind;
typedef struct {
  char *key;
  json_kind kind;
  bool boolean, used;
  double number;
  char *string;  /* J_STRING; for J_NUMBER, its text */
  char **items;  /* J_ARRAY of strings */
  size_t count;
} entry;

struct weir_config {
  entry *entries;
  size_t count;
  const char *error;
};

typedef struct {
  const char *p, *end;
  const char *error;
} reader;

static void skip(reader *r) {
  while (r->p < r->end && isspace((unsigned char)*r->p)) r->p++;
}

static bool fail(reader *r, const char *what) {
  if (!r->error) r->error = weir_errorf("configuration is not valid JSON: %s", what);
  return false;
}

static void put_utf8(char **out, unsigned code) {
  char *o = *out;
  if (code < 0x80) *o++ = code;
  else if (code < 0x800) { *o++ = 0xC0 | code >> 6; *o++ = 0x80 | (code & 0x3F); }
  else if (code < 0x10000) { *o++ = 0xE0 | code >> 12; *o++ = 0x80 | (code >> 6 & 0x3F); *o++ = 0x80 | (code & 0x3F); }
  else { *o++ = 0xF0 | code >> 18; *o++ = 0x80 | (code >> 12 & 0x3F); *o++ = 0x80 | (code >> 6 & 0x3F); *o++ = 0x80 | (code & 0x3F); }
  *out = o;
}

static bool hex4(reader *r, unsigned *code) {
  if (r->end - r->p < 4) return fail(r, "short \\u escape");
  char digits[5] = {0};
  memcpy(digits, r->p, 4);
  char *end;
  *code = strtoul(digits, &end, 16);
  if (*end) return fail(r, "bad \\u escape");
  r->p += 4;
  return true;
}

static bool read_string(reader *r, char **result) {
  if (r->p >= r->end || *r->p != '"') return fail(r, "expected a string");
  r->p++;
  /* Escapes only shrink text, except \u which stays within 6 -> 4 bytes. */
  char *out = malloc(r->end - r->p + 1), *o = out;
  while (r->p < r->end && *r->p != '"') {
    char c = *r->p++;
    if (c != '\\') { *o++ = c; continue; }
    if (r->p >= r->end) break;
    char e = *r->p++;
    switch (e) {
      case 'n': *o++ = '\n'; break;
      case 't': *o++ = '\t'; break;
      case 'r': *o++ = '\r'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'u': {
        unsigned code;
        if (!hex4(r, &code)) { free(out); return false; }
        if (code >= 0xD800 && code < 0xDC00 && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
          unsigned low;
          r->p += 2;
          if (!hex4(r, &low)) { free(out); return false; }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        put_utf8(&o, code);
        break;
      }
      default: *o++ = e;
    }
  }
  if (r->p >= r->end) { free(out); return fail(r, "unterminated string"); }
  r->p++;
  *o = 0;
  *result = out;
  return true;
}

static bool read_value(reader *r, entry *e) {
  skip(r);
  if (r->p >= r->end) return fail(r, "missing value");
  char c = *r->p;
  if (c == '"') { e->kind = J_STRING; return read_string(r, &e->string); }
  if (c == '[') {
    r->p++;
    e->kind = J_ARRAY;
    e->items = malloc(sizeof(char *) * (r->end - r->p + 1));
    skip(r);
    if (r->p < r->end && *r->p == ']') { r->p++; return true; }
    for (;;) {
      skip(r);
      if (r->p < r->end && *r->p != '"') {
        r->error = weir_errorf("invalid configuration at `%s`: expected a list of strings", e->key);
        return false;
      }
      if (!read_string(r, &e->items[e->count])) return false;
      e->count++;
      skip(r);
      if (r->p < r->end && *r->p == ',') { r->p++; continue; }
      if (r->p < r->end && *r->p == ']') { r->p++; return true; }
      return fail(r, "expected , or ] in a list");
    }
  }
  if (c == '{') {
    r->error = weir_errorf("invalid configuration at `%s`: nested objects are not supported", e->key);
    return false;
  }
  const char *start = r->p;
  while (r->p < r->end && (isalnum((unsigned char)*r->p) || strchr("+-.", *r->p))) r->p++;
  size_t len = r->p - start;
  if (len == 4 && !strncmp(start, "true", 4)) { e->kind = J_BOOL; e->boolean = true; return true; }
  if (len == 5 && !strncmp(start, "false", 5)) { e->kind = J_BOOL; return true; }
  if (len == 4 && !strncmp(start, "null", 4)) { e->kind = J_NULL; return true; }
  e->string = malloc(len + 1);
  memcpy(e->string, start, len);
  e->string[len] = 0;
  char *end;
  e->number = strtod(e->string, &end);
  if (!len || *end) return fail(r, "bad literal");
  e->kind = J_NUMBER;
  return true;
}

static weir_config *config_parse(const char *text, size_t len) {
  weir_config *config = calloc(1, sizeof *config);
  reader r = {text, text + len, NULL};
  config->entries = calloc(len / 4 + 1, sizeof(entry));
  skip(&r);
  if (r.p >= r.end || *r.p != '{') { fail(&r, "expected an object"); goto done; }
  r.p++;
  skip(&r);
  if (r.p < r.end && *r.p == '}') goto done;
  for (;;) {
    skip(&r);
    entry *e = &config->entries[config->count];
    if (!read_string(&r, &e->key)) goto done;
    config->count++;
    skip(&r);
    if (r.p >= r.end || *r.p++ != ':') { fail(&r, "expected :"); goto done; }
    if (!read_value(&r, e)) goto done;
    skip(&r);
    if (r.p < r.end && *r.p == ',') { r.p++; continue; }
    if (r.p < r.end && *r.p == '}') break;
    fail(&r, "expected , or }");
    goto done;
  }
done:
  if (r.error) config->error = strdup(r.error);
  return config;
}

static entry *lookup(weir_config *config, const char *key) {
  for (size_t i = 0; i < config->count; i++) {
    if (!strcmp(config->entries[i].key, key)) {
      config->entries[i].used = true;
      return config->entries[i].kind == J_NULL ? NULL : &config->entries[i];
    }
  }
  return NULL;
}

static void wrong(weir_config *config, const char *key, const char *expected) {
  if (!config->error)
    config->error = strdup(weir_errorf("invalid configuration at `%s`: expected %s", key, expected));
}

bool weir_config_has(weir_config *config, const char *key) { return lookup(config, key) != NULL; }

const char *weir_config_string(weir_config *config, const char *key, const char *fallback) {
  entry *e = lookup(config, key);
  if (!e) return fallback;
  if (e->kind != J_STRING) { wrong(config, key, "a string"); return fallback; }
  return e->string;
}

bool weir_config_bool(weir_config *config, const char *key, bool fallback) {
  entry *e = lookup(config, key);
  if (!e) return fallback;
  if (e->kind != J_BOOL) { wrong(config, key, "true or false"); return fallback; }
  return e->boolean;
}

double weir_config_number(weir_config *config, const char *key, double fallback) {
  entry *e = lookup(config, key);
  if (!e) return fallback;
  if (e->kind != J_NUMBER) { wrong(config, key, "a number"); return fallback; }
  return e->number;
}

uint8_t weir_config_severity(weir_config *config, const char *key, uint8_t fallback) {
  entry *e = lookup(config, key);
  if (!e) {
    if (!fallback && !config->error)
      config->error = strdup(weir_errorf("invalid configuration: missing field `%s`", key));
    return fallback;
  }
  if (e->kind != J_STRING && e->kind != J_NUMBER) {
    wrong(config, key, "a severity name or number");
    return fallback;
  }
  const char *error = NULL;
  uint8_t n = weir_severity_parse(e->string, &error);
  if (error && !config->error) {
    /* `error` is in weir_errorf's buffer: copy it before formatting again. */
    char *reason = strdup(error);
    config->error = strdup(weir_errorf("invalid configuration at `%s`: %s", key, reason));
    free(reason);
  }
  return n;
}

const char **weir_config_strings(weir_config *config, const char *key, const char **fallback,
                                 size_t *count) {
  entry *e = lookup(config, key);
  if (!e || e->kind != J_ARRAY) {
    if (e) wrong(config, key, "a list of strings");
    *count = 0;
    while (fallback && fallback[*count]) (*count)++;
    return fallback;
  }
  *count = e->count;
  return (const char **)e->items;
}

const char *weir_config_check(weir_config *config) {
  if (config->error) return config->error;
  for (size_t i = 0; i < config->count; i++)
    if (!config->entries[i].used)
      return weir_errorf("invalid configuration: unknown field `%s`", config->entries[i].key);
  return NULL;
}

/* ---- the batch ------------------------------------------------------------ */
static plugin_string_t borrowed(const char *s) {
  return (plugin_string_t){(uint8_t *)s, strlen(s)};
}

weir_signal weir_batch_signal(weir_batch *batch) {
  return (weir_signal)weir_plugin_types_method_batch_signal(batch->handle);
}

uint32_t weir_batch_len(weir_batch *batch) {
  return weir_plugin_types_method_batch_len(batch->handle);
}

weir_bytes weir_severity_numbers(weir_batch *batch) {
  plugin_list_u8_t list;
  weir_plugin_types_method_batch_severity_numbers(batch->handle, &list);
  uint8_t *copy = arena_alloc(list.len);
  memcpy(copy, list.ptr, list.len);
  plugin_list_u8_free(&list);
  return (weir_bytes){copy, list.len};
}

static weir_value value_from(weir_plugin_types_value_t *v) {
  weir_value out = {0};
  switch (v->tag) {
    case WEIR_PLUGIN_TYPES_VALUE_STRING: out.kind = WEIR_STRING; out.string = arena_string(v->val.string.ptr, v->val.string.len); out.length = v->val.string.len; break;
    case WEIR_PLUGIN_TYPES_VALUE_JSON: out.kind = WEIR_JSON; out.string = arena_string(v->val.json.ptr, v->val.json.len); out.length = v->val.json.len; break;
    case WEIR_PLUGIN_TYPES_VALUE_BOOL: out.kind = WEIR_BOOL; out.boolean = v->val.bool_; break;
    case WEIR_PLUGIN_TYPES_VALUE_INT: out.kind = WEIR_INT; out.integer = v->val.int_; break;
    case WEIR_PLUGIN_TYPES_VALUE_DOUBLE: out.kind = WEIR_DOUBLE; out.number = v->val.double_; break;
    case WEIR_PLUGIN_TYPES_VALUE_BYTES: {
      uint8_t *copy = arena_alloc(v->val.bytes.len);
      memcpy(copy, v->val.bytes.ptr, v->val.bytes.len);
      out.kind = WEIR_BYTES;
      out.bytes = (weir_bytes){copy, v->val.bytes.len};
      break;
    }
    default: out.kind = WEIR_EMPTY;
  }
  return out;
}

const weir_attribute *weir_attributes(weir_batch *batch, weir_attributes_of of, uint32_t record,
                                      size_t *count) {
  weir_plugin_types_list_key_value_t list;
  weir_plugin_types_method_batch_attributes(batch->handle, of, record, &list);
  weir_attribute *out = arena_alloc(sizeof(weir_attribute) * (list.len + 1));
  for (size_t i = 0; i < list.len; i++) {
    out[i].key = arena_string(list.ptr[i].key.ptr, list.ptr[i].key.len);
    out[i].value = value_from(&list.ptr[i].value);
  }
  *count = list.len;
  weir_plugin_types_list_key_value_free(&list);
  return out;
}

bool weir_attribute_get(weir_batch *batch, weir_attributes_of of, uint32_t record,
                        const char *key, weir_value *value) {
  weir_plugin_types_value_t v;
  plugin_string_t k = borrowed(key);
  if (!weir_plugin_types_method_batch_attribute(batch->handle, of, record, &k, &v)) return false;
  *value = value_from(&v);
  weir_plugin_types_value_free(&v);
  return true;
}

void weir_attribute_set_text(weir_batch *batch, weir_attributes_of of, uint32_t record,
                             const char *key, const char *text, size_t length) {
  plugin_string_t k = borrowed(key);
  weir_plugin_types_value_t v = {.tag = WEIR_PLUGIN_TYPES_VALUE_STRING};
  v.val.string = (plugin_string_t){(uint8_t *)text, length};
  weir_plugin_types_method_batch_set_attribute(batch->handle, of, record, &k, &v);
}

void weir_attribute_set_string(weir_batch *batch, weir_attributes_of of, uint32_t record,
                               const char *key, const char *text) {
  weir_attribute_set_text(batch, of, record, key, text, strlen(text));
}

weir_value weir_body(weir_batch *batch, uint32_t record) {
  weir_plugin_types_value_t v;
  weir_plugin_types_method_batch_body(batch->handle, record, &v);
  weir_value out = value_from(&v);
  weir_plugin_types_value_free(&v);
  return out;
}

void weir_body_set_text(weir_batch *batch, uint32_t record, const char *text, size_t length) {
  weir_plugin_types_value_t v = {.tag = WEIR_PLUGIN_TYPES_VALUE_STRING};
  v.val.string = (plugin_string_t){(uint8_t *)text, length};
  weir_plugin_types_method_batch_set_body(batch->handle, record, &v);
}

void weir_body_set_string(weir_batch *batch, uint32_t record, const char *text) {
  weir_body_set_text(batch, record, text, strlen(text));
}

void weir_log(weir_level level, const char *message) {
  plugin_string_t m = borrowed(message);
  weir_plugin_log_log(level, &m);
}

/* ---- the outcome ---------------------------------------------------------- */
typedef struct {
  uint32_t *ptr;
  size_t len, cap;
} indices;

static void push(indices *list, uint32_t i) {
  if (list->len == list->cap) {
    list->cap = list->cap ? list->cap * 2 : 64;
    list->ptr = realloc(list->ptr, list->cap * sizeof(uint32_t));
  }
  list->ptr[list->len++] = i;
}

typedef struct {
  char *name;
  indices records;
} route;

struct weir_outcome {
  enum { KEEP_ALL, KEEP_SOME } mode;
  uint32_t flags; /* weir_keep_if calls so far */
  indices kept;
  route *routes;
  size_t route_count;
};

void weir_keep_if(weir_outcome *out, bool keep) {
  out->mode = KEEP_SOME;
  if (keep) push(&out->kept, out->flags);
  out->flags++;
}

void weir_keep(weir_outcome *out, uint32_t record) {
  out->mode = KEEP_SOME;
  push(&out->kept, record);
}

void weir_drop_all(weir_outcome *out) {
  out->mode = KEEP_SOME;
  out->kept.len = 0;
}

void weir_route(weir_outcome *out, uint32_t record, const char *name) {
  size_t i = 0;
  while (i < out->route_count && strcmp(out->routes[i].name, name)) i++;
  if (i == out->route_count) {
    out->routes = realloc(out->routes, ++out->route_count * sizeof(route));
    out->routes[i] = (route){strdup(name), {0}};
  }
  push(&out->routes[i].records, record);
}

/* Hands the outcome's lists to the host (who frees them post-return). */
static void outcome_to_wit(weir_outcome *out, uint32_t len, weir_plugin_types_outcome_t *ret) {
  bool all_flagged = out->flags == len && out->kept.len == len;
  if (out->mode == KEEP_ALL || all_flagged) {
    ret->keep.tag = WEIR_PLUGIN_TYPES_SELECTION_ALL;
    free(out->kept.ptr);
  } else if (out->kept.len == 0) {
    ret->keep.tag = WEIR_PLUGIN_TYPES_SELECTION_NONE;
    free(out->kept.ptr);
  } else {
    ret->keep.tag = WEIR_PLUGIN_TYPES_SELECTION_SOME;
    ret->keep.val.some = (plugin_list_u32_t){out->kept.ptr, out->kept.len};
  }
  ret->routes.len = out->route_count;
  ret->routes.ptr = out->route_count ? malloc(out->route_count * sizeof(weir_plugin_types_route_t)) : NULL;
  for (size_t i = 0; i < out->route_count; i++) {
    ret->routes.ptr[i].name = (plugin_string_t){(uint8_t *)out->routes[i].name, strlen(out->routes[i].name)};
    ret->routes.ptr[i].records.tag = WEIR_PLUGIN_TYPES_SELECTION_SOME;
    ret->routes.ptr[i].records.val.some =
        (plugin_list_u32_t){out->routes[i].records.ptr, out->routes[i].records.len};
  }
  free(out->routes);
}

/* ---- the exports -------------------------------------------------------- */
void exports_weir_plugin_processor_describe(exports_weir_plugin_processor_plugin_info_t *ret) {
  plugin_string_dup(&ret->name, weir_plugin_info.name);
  plugin_string_dup(&ret->version, weir_plugin_info.version);
  plugin_string_dup(&ret->description, weir_plugin_info.description);
  size_t n = 0;
  weir_plugin_types_signal_t *signals = malloc(3);
  for (unsigned s = 0; s < 3; s++)
    if (weir_plugin_info.signals & (1u << s)) signals[n++] = s;
  ret->signals = (exports_weir_plugin_processor_list_signal_t){signals, n};
}

bool exports_weir_plugin_processor_init(plugin_string_t *text, plugin_string_t *err) {
  weir_config *config = config_parse((const char *)text->ptr, text->len);
  plugin_string_free(text);
  const char *error = config->error ? config->error : weir_init(config);
  if (!error) error = weir_config_check(config);
  if (error) plugin_string_dup(err, error);
  return !error;
}

bool exports_weir_plugin_processor_process(exports_weir_plugin_processor_borrow_batch_t handle,
                                           exports_weir_plugin_processor_outcome_t *ret,
                                           plugin_string_t *err) {
  weir_batch batch = {handle};
  weir_outcome out = {0};
  uint32_t len = weir_batch_len(&batch);
  const char *error = weir_process(&batch, &out);
  arena_reset();
  /* The host traps if a borrowed handle outlives the call. */
  weir_plugin_types_batch_drop_borrow(handle);
  if (error) {
    plugin_string_dup(err, error);
    free(out.kept.ptr);
    for (size_t i = 0; i < out.route_count; i++) {
      free(out.routes[i].name);
      free(out.routes[i].records.ptr);
    }
    free(out.routes);
    return false;
  }
  outcome_to_wit(&out, len, ret);
  return true;
}
