"""Full-text search of cases and messages, one interface on both databases.

    search_cases(qs, "трубы котельной")     # cases whose summary has both words, in any form
    search_messages(qs, "котельн")          # messages whose text has the fragment

What matches: every word of the query, in any grammatical form («трубы» finds «труба»), or as a
fragment of at least three letters («котельн»); case and «ё»/«е» do not matter.

- **PostgreSQL**: the ``russian`` text-search configuration over a GIN index
  (``to_tsvector('russian', …)``) for word forms, or-ed with ``LIKE`` over a ``pg_trgm`` GIN index
  for fragments (the folded ``Case.search_text``; ``lower(text)`` with «ё» as «е» for messages).
- **SQLite**: FTS5 tables with the ``trigram`` tokenizer (``otklik_fts_case``,
  ``otklik_fts_message``), kept in step by triggers; each word is matched by its stem (the part it
  shares with its lemma, from pymorphy3), so word forms match there too. Words shorter than three
  letters, which trigrams cannot index, are matched by ``LIKE``.

``install(connection)`` creates whatever the database needs (idempotent): the ``cases`` migration
``0005_fulltext`` calls it, and so does every ``migrate`` afterwards (``post_migrate``), because
SQLite drops a table's triggers when Django rebuilds the table for a later migration — the FTS
table is then filled again from its table.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from typing import Any, TypeVar

from django.db import connections
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)

MIN_FRAGMENT = 3
MAX_TERMS = 8


def fold(text: str) -> str:
    """Lower case, «ё» as «е»: how both sides of a search are compared."""
    return text.lower().replace("ё", "е")


def terms(query: str) -> list[str]:
    """The words of a query, folded, without punctuation (at most ``MAX_TERMS``)."""
    cleaned = "".join(ch if ch.isalnum() or ch == "-" else " " for ch in fold(query))
    return [w.strip("-") for w in cleaned.split() if w.strip("-")][:MAX_TERMS]


@cache
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def stem(word: str) -> str:
    """What every form of ``word`` begins with («трубы» → «труб», «котельной» → «котельн»):
    the common prefix of its lexeme (pymorphy3), or the word itself if that is too short."""
    if len(word) < 4 or not any("а" <= ch <= "я" for ch in word):
        return word
    try:
        forms = [fold(f.word) for f in _morph().parse(word)[0].lexeme]
    except Exception:  # a broken dictionary must not break search
        return word
    prefix = os.path.commonprefix([word, *forms])  # noqa: RUF071 (characters, not paths: that is the point)
    return prefix if len(prefix) >= MIN_FRAGMENT else word


# --------------------------------------------------------------------------------------------
# the searches


def _vendor(qs: QuerySet[Any]) -> str:
    return str(connections[qs.db].vendor)


def _long(words: list[str]) -> list[str]:
    """The words long enough for the trigram index (SQLite's FTS5)."""
    return [w for w in words if len(w) >= MIN_FRAGMENT]


def _fts5_expression(words: list[str]) -> str:
    return " AND ".join('"' + stem(w).replace('"', '""') + '"' for w in words)


def _russian_match(table: str, column: str, words: list[str]) -> RawSQL:
    """PostgreSQL: the column's ``russian`` text-search vector (a GIN index) matches every word."""
    return RawSQL(
        f"to_tsvector('russian', \"{table}\".\"{column}\") @@ plainto_tsquery('russian', %s)",
        [" ".join(words)],
        output_field=BooleanField(),
    )


def _like_pattern(words: list[str]) -> str:
    """The phrase as a ``LIKE`` fragment, its wildcards escaped."""
    return "%" + " ".join(words).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _pg_either(qs: QuerySet[M], table: str, tsv: RawSQL, like: str, words: list[str]) -> QuerySet[M]:
    """PostgreSQL: the rows whose words match (the ``russian`` GIN index) or that hold the phrase as
    a fragment (the trigram GIN index), as the union of the two.

    Written as ``tsv OR like`` inside the list's query, the planner walks the list's ordering index
    and computes ``to_tsvector`` row by row until it has a page: 2.3 s for a rare word at 100,000
    cases (``bench_screens.py``); for a common word that walk is the fast plan, which
    ``search_cases(walk=True)`` asks for. The union lets each half use its own index; the list
    then only probes the result.

    The probe is ``id = ANY(ARRAY(…))``: the union runs once, and the list reads its rows by the
    primary key. As ``id IN (…)`` the planner joined the union by hash to a scan of the whole
    table: 55 ms for a word in 1,007 of 100,000 cases, now 18 ms.
    """
    sql = (
        f'SELECT "{table}"."id" FROM "{table}" WHERE {tsv.sql} UNION SELECT "{table}"."id" FROM "{table}" WHERE {like}'
    )
    return qs.filter(RawSQL(f'"{table}"."id" = ANY(ARRAY({sql}))', [*tsv.params, _like_pattern(words)], BooleanField()))


def search_cases(qs: QuerySet[M], query: str, *, walk: bool = False) -> QuerySet[M]:
    """``qs`` (of ``cases.Case``) narrowed to the cases whose summary matches ``query``.

    ``walk``: the matches are only probed, row by row, so that the database walks the list's own
    index in order and stops after a page, instead of reading every match first and sorting
    them — the plan for a word that matches thousands of cases (``count_case_matches``). SQLite
    probes its FTS table by rowid; PostgreSQL computes ``tsv OR like`` on each row it passes.
    """
    words = terms(query)
    if not words:
        return qs
    table = qs.model._meta.db_table
    if _vendor(qs) == "postgresql":
        tsv, like = _russian_match(table, "summary", words), f'"{table}"."search_text" LIKE %s'
        if walk:
            return qs.filter(RawSQL(f"({tsv.sql} OR {like})", [*tsv.params, _like_pattern(words)], BooleanField()))
        return _pg_either(qs, table, tsv, like, words)
    return _sqlite_filter(qs, words, fts="otklik_fts_case", like_field="search_text", walk=walk)


def count_case_matches(qs: QuerySet[Any], query: str, *, cap: int) -> int | None:
    """How many cases of every administration the full-text index holds for the query, counted
    up to ``cap``: a cheap estimate of the search's result, to choose its plan by. SQLite's FTS
    counts the words of three letters or more without reading a case (``None`` for a query of
    short words only); PostgreSQL counts the word forms' GIN index (8 ms for 2,000 of a common
    word's 28,500 cases; adding the fragment's ``LIKE`` made the planner scan the table and
    compute every row's vector: 140 ms)."""
    words = terms(query)
    if _vendor(qs) == "postgresql":
        if not words:
            return None
        tsv = _russian_match(qs.model._meta.db_table, "summary", words)
        hits, params = f"{qs.model._meta.db_table} WHERE {tsv.sql}", list(tsv.params)
    else:
        long_words = _long(words)
        if not long_words:
            return None
        hits, params = "otklik_fts_case WHERE otklik_fts_case MATCH %s", [_fts5_expression(long_words)]
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {hits} LIMIT %s) AS hits", [*params, cap])
        return int(cursor.fetchone()[0])


def search_messages(qs: QuerySet[M], query: str) -> QuerySet[M]:
    """``qs`` (of ``inbox.Message``) narrowed to the messages whose text matches ``query``."""
    words = terms(query)
    if not words:
        return qs
    table = qs.model._meta.db_table
    if _vendor(qs) == "postgresql":
        like = f"replace(lower(\"{table}\".\"text\"), 'ё', 'е') LIKE %s"
        return _pg_either(qs, table, _russian_match(table, "text", words), like, words)
    return _sqlite_filter(qs, words, fts="otklik_fts_message", like_field=None)


def _sqlite_filter(
    qs: QuerySet[M], words: list[str], *, fts: str, like_field: str | None, walk: bool = False
) -> QuerySet[M]:
    long_words = _long(words)
    short_words = [w for w in words if len(w) < MIN_FRAGMENT]
    if long_words:
        matches = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"
        params = [_fts5_expression(long_words)]
        if walk:
            # The unary + keeps SQLite from driving the query by the rowids of the matches.
            table = qs.model._meta.db_table
            qs = qs.filter(RawSQL(f'+"{table}"."id" IN ({matches})', params, BooleanField()))
        else:
            qs = qs.filter(pk__in=RawSQL(matches, params))
    for word in short_words:  # one or two letters: no trigram, a scan of what is left
        if like_field:
            qs = qs.filter(**{f"{like_field}__contains": word})
        else:
            qs = qs.filter(text__icontains=word)
    return qs


# --------------------------------------------------------------------------------------------
# what each database needs

_FOLD_SQL = "replace(replace({col}, 'ё', 'е'), 'Ё', 'Е')"

_SQLITE = {
    # table, FTS table, the indexed expression over NEW/OLD
    "case": ("cases_case", "otklik_fts_case", "{row}.search_text"),
    "message": ("inbox_message", "otklik_fts_message", _FOLD_SQL.format(col="{row}.text")),
}

_POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS otklik_case_fts ON cases_case USING gin (to_tsvector('russian', summary))",
    "CREATE INDEX IF NOT EXISTS otklik_case_trgm ON cases_case USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS otklik_message_fts ON inbox_message USING gin (to_tsvector('russian', text))",
    "CREATE INDEX IF NOT EXISTS otklik_message_trgm ON inbox_message "
    "USING gin ((replace(lower(text), 'ё', 'е')) gin_trgm_ops)",
]


def install(connection: Any) -> None:
    """Create the indexes (PostgreSQL) or FTS tables and triggers (SQLite) if missing."""
    tables = set(connection.introspection.table_names())
    if not {"cases_case", "inbox_message"} <= tables:
        return  # before the first migrations of those apps
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in _POSTGRES:
                cursor.execute(sql)
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        existing = {name for (name,) in cursor.execute("SELECT name FROM sqlite_master").fetchall()}
        for table, fts, expr in _SQLITE.values():
            new, old = expr.format(row="new"), expr.format(row="old")
            triggers = {f"{fts}_ai", f"{fts}_au"}
            if fts in existing and triggers <= existing:
                continue
            # Telling is worth it only when there are rows to index (a fresh database has none).
            has_rows = cursor.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
            log.log(
                logging.INFO if has_rows else logging.DEBUG, "full-text search: (re)building %s from %s", fts, table
            )
            cursor.execute(f"DROP TABLE IF EXISTS {fts}")
            cursor.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(doc, content='', tokenize='trigram')")
            cursor.execute(f"INSERT INTO {fts}(rowid, doc) SELECT id, {expr.format(row=table)} FROM {table}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_ai")
            cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_au")
            cursor.execute(
                f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
                f"INSERT INTO {fts}(rowid, doc) VALUES (new.id, {new}); END"
            )
            # Rows are never deleted (П.20); an update replaces the row's entry.
            cursor.execute(
                f"CREATE TRIGGER {fts}_au AFTER UPDATE ON {table} WHEN {old} IS NOT {new} BEGIN "
                f"INSERT INTO {fts}({fts}, rowid, doc) VALUES ('delete', old.id, {old}); "
                f"INSERT INTO {fts}(rowid, doc) VALUES (new.id, {new}); END"
            )


def on_post_migrate(using: str = "default", **_: Any) -> None:
    install(connections[using])
