"""Meeting calendars: which events exist for the program, each match and each member.

events.py says which events the timeline gives and how each compares with what was sent
(state.py reads and writes `calendars.yaml`), body.py what each event says as iCalendar
lines (encoded by `peerkit.ics`), layout.py which file holds which event, invitations.py the
iTIP messages, and export.py puts them together (`render_calendars`, the `build` step).
"""

from __future__ import annotations

from peerkit.calendar.events import NAMESPACE, CalendarEvent, event_uid, legacy_uid
from peerkit.calendar.export import (
    CalendarResult,
    Method,
    Progress,
    calendar_step,
    invitations,
    render_calendars,
)
from peerkit.calendar.invitations import Invitation
from peerkit.calendar.layout import OUT_DIR

__all__ = [
    "NAMESPACE",
    "OUT_DIR",
    "CalendarEvent",
    "CalendarResult",
    "Invitation",
    "Method",
    "Progress",
    "calendar_step",
    "event_uid",
    "invitations",
    "legacy_uid",
    "render_calendars",
]
