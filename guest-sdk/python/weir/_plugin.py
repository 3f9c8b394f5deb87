"""The ``@plugin`` decorator, and the component's exports that forward to
the decorated class.

componentize-py makes a new ``Processor`` object for every call, so the
author's instance is kept in this module, not on ``Processor``.
"""

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import processor as wit_processor
from wit_world.imports import log as wit_log
from wit_world.imports import types as wit

from ._batch import Batch
from ._config import Config

Signal = wit.Signal
AttributesOf = wit.AttributesOf

_registered = None  # (class, PluginInfo)
_instance = None


def plugin(name, description, version="0.0.0", signals=()):
    """Registers the decorated class as the plugin: ``name`` (for logs and
    metrics), a one-line ``description``, its ``version``, and the
    ``signals`` it wants (empty: all)."""

    def register(cls):
        global _registered
        _registered = (cls, wit_processor.PluginInfo(name, version, description, list(signals)))
        return cls

    return register


def log(level, message):
    """Writes a line to weir's log: level is one of "trace", "debug",
    "info", "warn", "error"."""
    wit_log.log(wit_log.Level[level.upper()], str(message))


def _error(e):
    if isinstance(e, KeyError):
        return f"invalid configuration: missing field `{e.args[0]}`"
    return str(e) or type(e).__name__


class Processor(exports.Processor):
    """weir:plugin/processor, forwarding to the registered class."""

    def describe(self):
        if _registered is None:
            raise RuntimeError("no class is decorated with @weir.plugin")
        return _registered[1]

    def init(self, config):
        global _instance
        try:
            settings = Config.from_json(config)
            _instance = _registered[0](settings)
            settings.check_all_read()
        except Exception as e:
            raise Err(_error(e))

    def process(self, batch):
        if _instance is None:
            raise Err("weir called `process` before `init`")
        try:
            return _instance.process(Batch(batch)).to_wit()
        except Exception as e:
            raise Err(_error(e))
