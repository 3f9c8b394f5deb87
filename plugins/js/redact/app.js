// redact in JavaScript: masks sensitive attribute values and log bodies
// (the same configuration and behaviour as plugins/redact).
import { Outcome, plugin } from "weir";
import { Patterns } from "./patterns.js";

const DEFAULT_KEYS = ["password", "passwd", "secret", "api_key", "apikey", "authorization", "cookie"];

export const processor = plugin({
  name: "redact",
  description: "Masks sensitive attribute values and log bodies",
  signals: ["logs", "traces"],
  init(config) {
    this.keys = new Set(config.strings("keys", DEFAULT_KEYS).map((k) => k.toLowerCase()));
    this.patterns = new Patterns(config.strings("patterns", ["email", "bearer", "card"]), config.strings("custom", []));
    this.replacement = config.string("replacement", "[REDACTED]");
    this.bodies = config.bool("bodies", true);
  },
  // The masked form of attribute `key`'s value, or undefined.
  masked(key, value) {
    if (this.keys.has(key.toLowerCase())) return value === this.replacement ? undefined : this.replacement;
    return typeof value === "string" ? this.patterns.mask(value, this.replacement) : undefined;
  },
  process(batch) {
    const logs = batch.signal === "logs";
    for (let record = 0; record < batch.length; record++) {
      for (const [key, value] of batch.attributes(record)) {
        const masked = this.masked(key, value);
        if (masked !== undefined) batch.setAttribute(record, key, masked);
      }
      if (logs && this.bodies) {
        const body = batch.body(record);
        const masked = typeof body === "string" ? this.patterns.mask(body, this.replacement) : undefined;
        if (masked !== undefined) batch.setBody(record, masked);
      }
    }
    return Outcome.keepAll();
  },
});
