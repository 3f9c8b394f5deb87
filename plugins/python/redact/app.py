"""redact in Python: masks sensitive attribute values and log bodies (the
same configuration and behaviour as plugins/redact: keys masked whole,
built-in patterns email/bearer/card with the Luhn check, custom regexes)."""
from weir import Outcome, Signal, plugin

from patterns import Patterns

DEFAULT_KEYS = ["password", "passwd", "secret", "api_key", "apikey", "authorization", "cookie"]


@plugin("redact", "Masks sensitive attribute values and log bodies", signals=[Signal.LOGS, Signal.TRACES])
class Redact:
    def __init__(self, config):
        self.keys = {k.lower() for k in config.strings("keys", DEFAULT_KEYS)}
        builtin = config.strings("patterns", ["email", "bearer", "card"])
        self.patterns = Patterns(builtin, config.strings("custom", []))
        self.replacement = config.string("replacement", "[REDACTED]")
        self.bodies = config.bool("bodies", True)

    def masked(self, key, value):
        """The masked form of attribute `key`'s value, or None."""
        if key.lower() in self.keys:
            return None if value == self.replacement else self.replacement
        return self.patterns.mask(value, self.replacement) if isinstance(value, str) else None

    def process(self, batch):
        logs = batch.signal == Signal.LOGS
        for record in range(len(batch)):
            for key, value in batch.attributes(record):
                masked = self.masked(key, value)
                if masked is not None:
                    batch.set_attribute(record, key, masked)
            if logs and self.bodies:
                body = batch.body(record)
                masked = self.patterns.mask(body, self.replacement) if isinstance(body, str) else None
                if masked is not None:
                    batch.set_body(record, masked)
        return Outcome.keep_all()
