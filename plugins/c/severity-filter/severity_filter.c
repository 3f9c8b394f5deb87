/* severity-filter in C: drops log records below a configured severity
 * (the same configuration as plugins/severity-filter). */
#include "weir.h"

WEIR_PLUGIN("severity-filter", "0.1.0", "Drops log records below a configured severity", WEIR_LOGS);
static uint8_t min;
static bool keep_unspecified;

const char *weir_init(weir_config *config) {
  min = weir_config_severity(config, "min_severity", 0);
  keep_unspecified = weir_config_bool(config, "keep_unspecified", true);
  return NULL;
}

const char *weir_process(weir_batch *batch, weir_outcome *out) {
  weir_bytes severities = weir_severity_numbers(batch);
  for (size_t i = 0; i < severities.len; i++)
    weir_keep_if(out, severities.ptr[i] >= min || (severities.ptr[i] == 0 && keep_unspecified));
  return NULL;
}
