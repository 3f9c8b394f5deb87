"""The batch a plugin sees: weir's batch resource with Python values.

Attribute values and bodies are plain Python values: str, bool, int,
float, bytes, None (an empty value), or :class:`Json` for arrays and maps
(OTLP/JSON text).
"""

from wit_world.imports import types as wit


class Json(str):
    """An array or key-value list value, as OTLP/JSON text."""


def to_python(value):
    if isinstance(value, wit.Value_Empty):
        return None
    if isinstance(value, wit.Value_Json):
        return Json(value.value)
    return value.value


def to_wit(value):
    if value is None:
        return wit.Value_Empty()
    if isinstance(value, Json):
        return wit.Value_Json(str(value))
    if isinstance(value, bool):
        return wit.Value_Bool(value)
    if isinstance(value, int):
        return wit.Value_Int(value)
    if isinstance(value, float):
        return wit.Value_Double(value)
    if isinstance(value, (bytes, bytearray)):
        return wit.Value_Bytes(bytes(value))
    return wit.Value_String(str(value))


RECORD = wit.AttributesOf.RECORD


class Batch:
    """A batch of one signal, owned by weir; valid during ``process``."""

    def __init__(self, inner):
        self._inner = inner

    @property
    def signal(self):
        """A :class:`weir.Signal`."""
        return self._inner.signal()

    def __len__(self):
        return self._inner.len()

    def severity_numbers(self):
        """Every log record's severity number (0-24), as bytes: one call."""
        return self._inner.severity_numbers()

    def names(self):
        """Every record's name (span, metric, log event name)."""
        return self._inner.names()

    def attribute_column(self, key, of=RECORD):
        """The attribute ``key`` of every record (None where absent)."""
        return [None if v is None else to_python(v) for v in self._inner.attribute_column(of, key)]

    def attributes(self, record, of=RECORD):
        """All attributes of a record (or its resource/scope) as (key, value) pairs."""
        return [(kv.key, to_python(kv.value)) for kv in self._inner.attributes(of, record)]

    def attribute(self, record, key, of=RECORD):
        value = self._inner.attribute(of, record, key)
        return None if value is None else to_python(value)

    def set_attribute(self, record, key, value, of=RECORD):
        self._inner.set_attribute(of, record, key, to_wit(value))

    def remove_attribute(self, record, key, of=RECORD):
        return self._inner.remove_attribute(of, record, key)

    def body(self, record):
        return to_python(self._inner.body(record))

    def set_body(self, record, value):
        self._inner.set_body(record, to_wit(value))

    def severity_text(self, record):
        return self._inner.severity_text(record)
