"""Write weir plugins in Python.

A plugin is a class decorated with ``@plugin``: ``__init__(self, config)``
reads the configuration (a :class:`Config`, refusing keys it did not read),
``process(self, batch)`` answers an :class:`Outcome`. Exceptions become
weir's errors (a refused configuration, a failed batch). The instance made
at ``init`` is the one every batch sees: keep state on ``self``.

    from weir import Outcome, Signal, plugin

    @plugin("drop-debug", "Drops DEBUG logs", signals=[Signal.LOGS])
    class DropDebug:
        def __init__(self, config):
            pass

        def process(self, batch):
            return Outcome.keep_where(s > 8 for s in batch.severity_numbers())

The generated bindings (``wit_world``, from componentize-py) stay behind
this package; ``guest-sdk/python/build.sh`` builds a plugin directory.
"""

from ._batch import Batch
from ._config import Config, severity
from ._outcome import Outcome
from ._plugin import AttributesOf, Signal, log, plugin

__all__ = ["AttributesOf", "Batch", "Config", "Outcome", "Signal", "log", "plugin", "severity"]
