"""Every error the workbench raises on purpose; the CLI turns them into messages and exit codes."""
from __future__ import annotations


class PMOError(Exception):
    """Base class: an error with a message meant for the user, never a traceback."""

    exit_code = 1


class UsageError(PMOError):
    """The command was called wrongly (bad argument, unknown table)."""

    exit_code = 2


class DatabaseMissing(PMOError):
    """The database file does not exist yet."""


class DatabaseOutdated(PMOError):
    """The database was written by an older version and lacks tables this one reads."""


class DatabaseUnreadable(PMOError):
    """The database file cannot be opened: not a DuckDB file, or locked by a writer."""


class DatabaseBusy(PMOError):
    """Another program holds the database (or its lock) in a way that makes publishing unsafe now."""


class PublishFailed(PMOError):
    """Writing the new database failed (a full disk, a read-only folder); the live file is unchanged."""


class InputError(PMOError):
    """An input file cannot be read at all (missing, empty, binary, wrong format)."""


class ValidationFailed(PMOError):
    """Inputs have blocking problems; nothing was loaded. `problems` lists every one."""

    def __init__(self, problems):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        lines = [str(p) for p in errors]
        super().__init__(f"{len(errors)} error(s); nothing was loaded:\n" + "\n".join(lines))


class ScenarioError(PMOError):
    """A scenario cannot be read or applied: a bad file, field or change, or a change that names a
    project, person or role the snapshot lacks. The message names the scenario or file and the change."""

    exit_code = 2
