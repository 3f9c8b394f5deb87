"""What componentize-py builds: imports the author's module (``app.py`` in
the plugin's directory), whose ``@weir.plugin`` registers the plugin, and
exports weir's ``Processor`` forwarding to it."""

import app  # noqa: F401  (registers the plugin)
from weir._plugin import Processor  # noqa: F401
