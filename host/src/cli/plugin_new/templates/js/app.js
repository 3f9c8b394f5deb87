// {{name}}: keeps log records at or above a configured severity.
import { Outcome, plugin } from "weir";

export const processor = plugin({
  name: "{{name}}",
  description: "Keeps log records at or above a severity",
  signals: ["logs"],
  init(config) {
    this.min = config.severity("min_severity");
  },
  process(batch) {
    return Outcome.keepWhere(Array.from(batch.severityNumbers(), (s) => s >= this.min));
  },
});
