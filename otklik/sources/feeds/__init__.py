"""RSS/Atom feeds: fetched with httpx (conditional GET), parsed with feedparser."""
