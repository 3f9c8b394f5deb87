"""A plugin's configuration, and severity names.

weir hands the configuration over as JSON; :class:`Config` is a dict that
remembers which keys the plugin read, so that a misspelt key is refused
(as the Rust SDK's ``deny_unknown_fields`` does) instead of ignored.
"""

import json

_SEVERITY_NAMES = {
    "TRACE": 1, "DEBUG": 5, "INFO": 9, "INFORMATION": 9, "WARN": 13,
    "WARNING": 13, "ERROR": 17, "FATAL": 21, "CRITICAL": 21,
}


def severity(value):
    """A severity number 1-24 from a name (``WARN``, ``error``, ``INFO2``)
    or a number; ValueError if it is neither."""
    text = str(value).strip()
    if text.isdigit():
        n = int(text)
        if 1 <= n <= 24:
            return n
        raise ValueError(f"severity number {n} is out of range 1-24")
    upper = text.upper()
    name = upper.rstrip("0123456789")
    step = upper[len(name):]
    if name not in _SEVERITY_NAMES:
        raise ValueError(
            f"unknown severity `{value}`: expected TRACE, DEBUG, INFO, WARN, ERROR, "
            "FATAL (optionally 2-4, e.g. INFO2) or a number 1-24")
    if step not in ("", "2", "3", "4"):
        raise ValueError(f"unknown severity `{value}`: the suffix must be 2, 3 or 4")
    return _SEVERITY_NAMES[name] + (int(step) - 1 if step else 0)


class Config(dict):
    """The plugin's configuration: a dict, with typed getters that say
    which key is wrong."""

    @classmethod
    def from_json(cls, text):
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("invalid configuration: expected an object")
        config = cls(value)
        config._read = set()
        return config

    def __getitem__(self, key):
        self._read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._read.add(key)
        return super().get(key, default)

    def _typed(self, key, default, types, expected):
        value = self.get(key, default)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise ValueError(f"invalid configuration at `{key}`: expected {expected}")
        return value

    def string(self, key, default=None):
        """A string (``default`` if absent; required if no default)."""
        if default is None:
            self[key]
        return self._typed(key, default, (str,), "a string")

    def bool(self, key, default):
        """true or false."""
        return self._typed(key, default, (bool,), "true or false")

    def strings(self, key, default=()):
        """A list of strings."""
        value = self._typed(key, list(default), (list,), "a list of strings")
        if not all(isinstance(v, str) for v in value):
            raise ValueError(f"invalid configuration at `{key}`: expected a list of strings")
        return value

    def severity(self, key, default=None):
        """A severity name or number, as its number (required if no default)."""
        value = self[key] if default is None else self.get(key, default)
        try:
            return severity(value)
        except ValueError as e:
            raise ValueError(f"invalid configuration at `{key}`: {e}") from None

    def check_all_read(self):
        unknown = [k for k in self if k not in self._read]
        if unknown:
            raise ValueError(f"invalid configuration: unknown field `{unknown[0]}`")
