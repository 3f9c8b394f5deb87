// severity-filter in JavaScript: drops log records below a configured
// severity (the same configuration as plugins/severity-filter).
import { Outcome, plugin } from "weir";

export const processor = plugin({
  name: "severity-filter", description: "Drops log records below a configured severity", signals: ["logs"],
  init(config) {
    this.min = config.severity("min_severity");
    this.keepUnspecified = config.bool("keep_unspecified", true);
  },
  process(batch) {
    const keep = (s) => s >= this.min || (s === 0 && this.keepUnspecified);
    return Outcome.keepWhere(Array.from(batch.severityNumbers(), keep));
  },
});
