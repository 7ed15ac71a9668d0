"""Podium's exceptions; each docstring says where it is raised."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base of every expected failure; the CLI prints it as one line."""


class ConfigError(ArchiveError):
    """Raised by ``archive.config.load`` for a missing or malformed config file.

    The message names the file, the line and the key.
    """


class SettingsConflictError(ConfigError):
    """Raised by ``archive.config.load`` when settings that only work together disagree:
    ``PODIUM_REDIS_URL`` with a SQLite archive. A usage error: the CLI and ``scheduler.py`` exit
    with status 2."""


class DatabaseError(ArchiveError):
    """Raised by ``archive.db`` for a malformed database URL, a database driver that is not
    installed, or a server that cannot be reached; and by the CLI when the archive it opens
    does not exist or has not been initialised (``podium init``)."""


class ParseError(ArchiveError):
    """Raised by ``archive.platforms`` when a payload cannot be read as the kind it claims."""


class UnknownAthleteError(ArchiveError):
    """Raised by ``archive.store`` / ``archive.export`` / ``archive.search`` for an athlete slug
    not in the archive, and by ``archive.config.Roster.require_athlete`` for one not on the
    roster (``archive.config.unknown_athlete`` words it)."""


class QueryError(ArchiveError):
    """Raised by ``archive.search`` for a query it refuses (e.g. exclusions only)."""
