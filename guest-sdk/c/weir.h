/*
 * weir.h: write weir plugins in C.
 *
 * A plugin defines three things and this SDK does the rest (the component
 * exports, memory ownership of what crosses the boundary, dropping the
 * borrowed batch before `process` returns, the JSON configuration):
 *
 *   WEIR_PLUGIN("severity-filter", "0.1.0", "Drops quiet logs", WEIR_LOGS);
 *   const char *weir_init(weir_config *config);                // NULL = ok
 *   const char *weir_process(weir_batch *batch, weir_outcome *out); // NULL = ok
 *
 * Returning a message (a string literal, or one made with weir_errorf)
 * refuses the configuration or fails the batch. State from weir_init lives
 * in static variables: weir makes one instance per worker and calls
 * weir_init once on it.
 *
 * The generated bindings (plugin.h, from wit-bindgen) stay behind this
 * header; scripts/build-plugins.sh and `weir plugin new --lang c` build
 * with them.
 */
#ifndef WEIR_H
#define WEIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Signals, for WEIR_PLUGIN's last argument (or-ed; 0 = all). */
#define WEIR_LOGS 1u
#define WEIR_METRICS 2u
#define WEIR_TRACES 4u

typedef struct weir_batch weir_batch;
typedef struct weir_outcome weir_outcome;
typedef struct weir_config weir_config;

/* What the plugin says about itself; use the macro once. */
typedef struct {
  const char *name, *version, *description;
  unsigned signals;
} weir_info;
extern const weir_info weir_plugin_info;
#define WEIR_PLUGIN(name, version, description, signals) \
  const weir_info weir_plugin_info = {name, version, description, signals}

/* The plugin's two functions. */
const char *weir_init(weir_config *config);
const char *weir_process(weir_batch *batch, weir_outcome *out);

/* An error message made like printf (kept until the next call). */
const char *weir_errorf(const char *format, ...);

/* ---- Configuration: one JSON object, read key by key. ----------------
 * Each getter returns the default when the key is absent. A wrong type or
 * value is remembered and reported by weir_config_check, which also
 * refuses keys no getter asked for (like the Rust SDK's
 * deny_unknown_fields). Strings live as long as the plugin. */
bool weir_config_has(weir_config *config, const char *key);
const char *weir_config_string(weir_config *config, const char *key, const char *fallback);
bool weir_config_bool(weir_config *config, const char *key, bool fallback);
double weir_config_number(weir_config *config, const char *key, double fallback);
/* A severity given as a name (WARN, error, INFO2) or 1-24; `fallback` if
 * absent, and a missing key is an error when fallback is 0. */
uint8_t weir_config_severity(weir_config *config, const char *key, uint8_t fallback);
/* A list of strings; *count is set; `fallback` (NULL-terminated) if absent. */
const char **weir_config_strings(weir_config *config, const char *key, const char **fallback,
                                 size_t *count);
/* NULL if everything read was fine, else what was wrong. */
const char *weir_config_check(weir_config *config);

/* Parses a severity name or number; 0 and *error set if invalid. */
uint8_t weir_severity_parse(const char *text, const char **error);

/* ---- The batch (owned by weir, valid during weir_process). ---------- */
typedef struct {
  const uint8_t *ptr;
  size_t len;
} weir_bytes;

typedef enum { WEIR_SIGNAL_LOGS = 0, WEIR_SIGNAL_METRICS = 1, WEIR_SIGNAL_TRACES = 2 } weir_signal;
typedef enum { WEIR_OF_RESOURCE = 0, WEIR_OF_SCOPE = 1, WEIR_OF_RECORD = 2 } weir_attributes_of;

/* An attribute value or log body; strings are NUL-terminated copies, and
 * `length` is their size in bytes (text may itself hold a NUL). */
typedef enum {
  WEIR_EMPTY, WEIR_STRING, WEIR_BOOL, WEIR_INT, WEIR_DOUBLE, WEIR_BYTES, WEIR_JSON
} weir_value_kind;
typedef struct {
  weir_value_kind kind;
  const char *string; /* WEIR_STRING and WEIR_JSON */
  size_t length;      /* of `string` */
  bool boolean;
  int64_t integer;
  double number;
  weir_bytes bytes;
} weir_value;
typedef struct {
  const char *key;
  weir_value value;
} weir_attribute;

weir_signal weir_batch_signal(weir_batch *batch);
uint32_t weir_batch_len(weir_batch *batch);
/* Column accessor: every log record's severity number (0-24). */
weir_bytes weir_severity_numbers(weir_batch *batch);
/* All attributes of record `record` (or its resource/scope); *count set. */
const weir_attribute *weir_attributes(weir_batch *batch, weir_attributes_of of, uint32_t record,
                                      size_t *count);
/* One attribute; false if absent. */
bool weir_attribute_get(weir_batch *batch, weir_attributes_of of, uint32_t record,
                        const char *key, weir_value *value);
void weir_attribute_set_string(weir_batch *batch, weir_attributes_of of, uint32_t record,
                               const char *key, const char *value);
weir_value weir_body(weir_batch *batch, uint32_t record);
void weir_body_set_string(weir_batch *batch, uint32_t record, const char *text);
/* The same with the text's length given (it may hold NULs). */
void weir_attribute_set_text(weir_batch *batch, weir_attributes_of of, uint32_t record,
                             const char *key, const char *text, size_t length);
void weir_body_set_text(weir_batch *batch, uint32_t record, const char *text, size_t length);

/* ---- The outcome. Starts as "keep all". ---------------------------------
 * weir_keep_if(out, flag) is called once per record, in order (as the
 * Rust SDK's Outcome::keep_where); weir_keep(out, i) keeps record i;
 * weir_drop_all drops everything; weir_route sends record i to a route. */
void weir_keep_if(weir_outcome *out, bool keep);
void weir_keep(weir_outcome *out, uint32_t record);
void weir_drop_all(weir_outcome *out);
void weir_route(weir_outcome *out, uint32_t record, const char *route);

/* ---- Logging into weir's log. -------------------------------------------- */
typedef enum { WEIR_TRACE, WEIR_DEBUG, WEIR_INFO, WEIR_WARN, WEIR_ERROR } weir_level;
void weir_log(weir_level level, const char *message);

#endif
