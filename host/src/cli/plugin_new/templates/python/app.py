"""{{name}}: keeps log records at or above a configured severity."""
from weir import Outcome, Signal, plugin


@plugin("{{name}}", "Keeps log records at or above a severity", signals=[Signal.LOGS])
class Filter:
    def __init__(self, config):
        self.min = config.severity("min_severity")

    def process(self, batch):
        return Outcome.keep_where(s >= self.min for s in batch.severity_numbers())
