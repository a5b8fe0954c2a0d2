"""Session history: the log format, the one reader of session logs, the folder of logs.

The read side of the session recorder (sinks/recorder.py writes the logs). It imports nothing
from engine, device, sinks or cli: a log is read the same whether retrowalk is running or not.

    read_log(path) -> SessionLog         the whole log: header, samples, events, gaps, summary
    scan_sessions(dir) -> SessionListing  every log's SessionEntry (quick), and the files skipped
    find_session("last" | name | path)    one entry, as the export and report commands name it
    week_totals(entries) -> [WeekTotals]  totals per ISO week
"""

from __future__ import annotations

from retrowalk.history.entry import SessionEntry, summarize
from retrowalk.history.model import (
    Gap,
    Header,
    LoggedEvent,
    LogState,
    Sample,
    SessionLog,
    Summary,
)
from retrowalk.history.reader import read_log
from retrowalk.history.store import (
    SessionListing,
    Skipped,
    find_session,
    list_sessions,
    scan_sessions,
    sessions_dir,
)
from retrowalk.history.weeks import WeekTotals, week_totals

__all__ = [
    "Gap",
    "Header",
    "LogState",
    "LoggedEvent",
    "Sample",
    "SessionEntry",
    "SessionListing",
    "SessionLog",
    "Skipped",
    "Summary",
    "WeekTotals",
    "find_session",
    "list_sessions",
    "read_log",
    "scan_sessions",
    "sessions_dir",
    "summarize",
    "week_totals",
]
