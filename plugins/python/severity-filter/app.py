"""severity-filter in Python: drops log records below a configured severity
(the same configuration as plugins/severity-filter)."""
from weir import Outcome, Signal, plugin


@plugin("severity-filter", "Drops log records below a configured severity", signals=[Signal.LOGS])
class SeverityFilter:
    def __init__(self, config):
        self.min = config.severity("min_severity")
        self.keep_unspecified = config.bool("keep_unspecified", True)

    def process(self, batch):
        return Outcome.keep_where(
            s >= self.min or (s == 0 and self.keep_unspecified) for s in batch.severity_numbers()
        )
