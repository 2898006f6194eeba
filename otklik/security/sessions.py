"""Sessions in the database, as Django keeps them, read by one plain query.

Every signed-in page reads its session first. Django's ``db`` engine builds that read with the
ORM: 0.4 ms of CPU for one row by its primary key, a twentieth of the cheapest page; the same
row by a plain query (``otklik.core.plainsql``) costs 0.05 ms. Writing, expiry,
``clearsessions`` and the table are Django's (``SESSION_ENGINE = "otklik.security.sessions"``). The Redis engine
(``OTKLIK_SESSIONS=redis``) is unchanged.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from otklik.core.plainsql import fetch_one, name, table


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        if not self.session_key:
            self._session_key = None
            return None
        row = fetch_one(
            f"SELECT {name('session_data')} FROM {table(self.model)}"
            f" WHERE {name('session_key')} = %s AND {name('expire_date')} > %s",
            [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])
