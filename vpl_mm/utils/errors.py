"""The errors of bad input that vpl_mm reports in one line."""


class InputError(Exception):
    """A file or a config value that cannot work, named in the message.

    The tools (``tools/train.py``, ``test.py``, ``extract_branch.py``) print
    such an error as one line and exit 1; ``VPL_MM_TRACEBACK=1`` shows the
    traceback as well.
    """


class CheckpointError(InputError, ValueError):
    """A checkpoint that cannot be read, or does not fit the model."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """No such checkpoint file (also the ``FileNotFoundError`` that
    MMEngine's reader of local files raises)."""


class ConfigError(InputError, ValueError):
    """A config value that cannot work with the model or the data."""
