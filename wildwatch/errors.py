"""Errors the app layer raises; the CLI turns each into one line on stderr and exit code 1.

WildwatchError
 ├── DataDirError   the data directory cannot be created or used
 └── InputError     a file or argument given by the user cannot be read
"""


class WildwatchError(Exception):
    """Base of the app layer's errors; the message says what to fix."""


class DataDirError(WildwatchError):
    """The data directory is missing, not a directory, or not writable."""


class InputError(WildwatchError):
    """An input file or argument is unreadable or malformed."""
