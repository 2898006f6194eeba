"""Who hears about what. Filled in by the notification module (П.22, 23; reminders)."""

from __future__ import annotations


def on_case_event(event_id: int) -> None:
    """Deliver notifications for a case event; the delivery rules live in this module."""
    return None
