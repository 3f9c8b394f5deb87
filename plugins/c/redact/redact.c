/* redact in C: masks sensitive values in log records and spans (the same
 * configuration and behaviour as plugins/redact): attribute values under
 * configured keys entirely, and text matching patterns (patterns.c) in
 * string attributes and string log bodies. Only values that change are
 * written back. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"
#include "weir.h"

WEIR_PLUGIN("redact", "0.1.0", "Masks sensitive attribute values and log bodies",
            WEIR_LOGS | WEIR_TRACES);

static const char *default_keys[] = {"password", "passwd", "secret", "api_key",
                                     "apikey", "authorization", "cookie", NULL};
static const char *default_patterns[] = {"email", "bearer", "card", NULL};
static const char **keys;
static size_t key_count;
static patterns *masks;
static const char *replacement;
static bool bodies;

const char *weir_init(weir_config *config) {
  /* Regexes then match whole UTF-8 characters (`.`, [^...]), as Rust's. */
  setlocale(LC_CTYPE, "C.UTF-8");
  size_t builtin_count, custom_count;
  keys = weir_config_strings(config, "keys", default_keys, &key_count);
  const char **builtin = weir_config_strings(config, "patterns", default_patterns, &builtin_count);
  const char **custom = weir_config_strings(config, "custom", NULL, &custom_count);
  replacement = weir_config_string(config, "replacement", "[REDACTED]");
  bodies = weir_config_bool(config, "bodies", true);
  const char *error = weir_config_check(config);
  return error ? error : patterns_new(builtin, builtin_count, custom, custom_count, &masks);
}

/* ASCII case only, as Rust's eq_ignore_ascii_case (strcasecmp follows the locale). */
static bool same_key(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a, y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static void redact_attribute(weir_batch *batch, uint32_t record, const weir_attribute *kv) {
  for (size_t k = 0; k < key_count; k++) {
    if (!same_key(keys[k], kv->key)) continue;
    const weir_value *v = &kv->value;
    if (v->kind != WEIR_STRING || v->length != strlen(replacement) ||
        memcmp(v->string, replacement, v->length))
      weir_attribute_set_string(batch, WEIR_OF_RECORD, record, kv->key, replacement);
    return;
  }
  char *masked;
  size_t len;
  if (kv->value.kind == WEIR_STRING &&
      patterns_mask(masks, kv->value.string, kv->value.length, replacement, &masked, &len)) {
    weir_attribute_set_text(batch, WEIR_OF_RECORD, record, kv->key, masked, len);
    free(masked);
  }
}

const char *weir_process(weir_batch *batch, weir_outcome *out) {
  (void)out; /* every record is kept */
  bool logs = weir_batch_signal(batch) == WEIR_SIGNAL_LOGS;
  for (uint32_t record = 0; record < weir_batch_len(batch); record++) {
    size_t count;
    const weir_attribute *attributes = weir_attributes(batch, WEIR_OF_RECORD, record, &count);
    for (size_t i = 0; i < count; i++) redact_attribute(batch, record, &attributes[i]);
    if (!logs || !bodies) continue;
    weir_value body = weir_body(batch, record);
    char *masked;
    size_t len;
    if (body.kind == WEIR_STRING &&
        patterns_mask(masks, body.string, body.length, replacement, &masked, &len)) {
      weir_body_set_text(batch, record, masked, len);
      free(masked);
    }
  }
  return NULL;
}
