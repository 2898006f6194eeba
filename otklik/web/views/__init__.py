"""Views of the web UI: thin, they call the same actions and selectors as the HTTP API."""
