/* {{name}}: keeps log records at or above a configured severity. */
#include "weir.h"

WEIR_PLUGIN("{{name}}", "0.1.0", "Keeps log records at or above a severity", WEIR_LOGS);
static uint8_t min;

const char *weir_init(weir_config *config) {
  min = weir_config_severity(config, "min_severity", 0);
  return NULL;
}

const char *weir_process(weir_batch *batch, weir_outcome *out) {
  weir_bytes severities = weir_severity_numbers(batch);
  for (size_t i = 0; i < severities.len; i++) weir_keep_if(out, severities.ptr[i] >= min);
  return NULL;
}
