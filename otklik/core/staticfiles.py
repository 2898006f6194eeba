"""Static files in production: whitenoise's compressed, hashed storage that forgives a missing
optional asset.

``CompressedManifestStaticFilesStorage`` raises ``ValueError`` for ``{% static %}`` of a file that
``collectstatic`` never saw, which turns every page into a 500 when htmx was not installed (npm
absent at set-up; the UI is built to work without it). Here such a name is logged once and its
plain URL returned: the browser gets a 404 for that one script and the page works.
"""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

log = logging.getLogger(__name__)


class ForgivingManifestStorage(CompressedManifestStaticFilesStorage):
    _reported: set[str] = set()

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            if name not in self._reported:
                self._reported.add(name)
                log.debug("static file %s is missing (not collected); its plain URL is used", name)
            return name
