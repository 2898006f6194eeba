"""Одноклассники REST API client: collects group topics and their comments.

Wire format (apiok.ru/dev/methods): ``https://api.ok.ru/fb.do`` with ``method``,
``application_key``, ``format=json``, ``access_token`` and ``sig``. Signature («Расчет подписи
запроса»): ``secret_key`` is the session's ``session_secret_key`` when one was issued, otherwise, for
a call in a session, ``md5(access_token + application_secret_key)`` in lower case; ``sig = md5(the
parameters except access_token/session_key and sig, sorted by key, joined as "key=value" without
separators, + secret_key)``, lower case. Errors: ``{"error_code", "error_msg", "error_data"}``.

Collection (every method and field checked against apiok.ru: see docs/sources.md):
``group.getStatTopics`` (``fields=ID,COMMENTS``, ``start_time`` = the window, an administrator's
token with GROUP_CONTENT) lists the group's topics with their comment counts;
``mediatopic.getByIds`` (``media_limit`` 1..3 is required for several topics) gives the new
topics' text; ``discussions.getComments`` (``discussionType=GROUP_TOPIC``, ``anchor=FIRST``,
``direction=FORWARD``, pages of 100 by the returned ``anchor``) their comments.

Edits and deletions (OK has no event for them): a topic's comments are read again from the first
when its comment count changes, and every ``recheck_minutes`` even when it does not (at most
``recheck_per_poll`` topics per poll, the longest unread first). The cursor keeps, per topic, ``n``
(the count when last read), ``t`` (when), ``ids`` (comment id -> fingerprint of its text) and
``gone`` (ids seen deleted), and ``text``, the start of the topic's text, shown as its comments'
context. A known id with another text is an edit (a new revision); a known id
missing from a complete read is a deletion; a gone id that is back is a restoration. A read longer
than ``max_pages`` pages goes on next poll from its ``resume`` anchor, and infers no deletion.

Publishing: OK lets a regular application comment only as the token's user, not as the group;
an official group answer (``discussions.addDiscussionComment`` with ``as_admin``) needs extra
permissions granted by OK. So by default ``publish`` raises ``CannotPublish`` with a message asking
the executor to publish by hand; with ``publish_via_api: true`` in the source settings (the
application has the permissions) it posts with ``discussions.addDiscussionComment``.

Error mapping (the codes are not listed on apiok.ru pages we could read; they are the ones
third-party clients handle): 8 FLOOD_BLOCKED, 11 LIMIT_REACHED -> ``RateLimited``; 1 UNKNOWN,
2 SERVICE, 9999 SYSTEM -> transient; 101-105 (key, session, signature) -> ``ConfigurationError``;
10 PERMISSION_DENIED while reading -> ``ConfigurationError`` (not an administrator's token); any
refusal while publishing (7 ACTION_BLOCKED, 10, 300 NOT_FOUND) -> ``CannotPublish``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from otklik.domain.messages import IncomingMessage, PublishRequest, PublishResult
from otklik.sources.base import CheckReport, HttpApi
from otklik.sources.errors import (
    CannotPublish,
    ConfigurationError,
    MalformedPayload,
    RateLimited,
    SourceError,
    TransientSourceError,
)
from otklik.sources.ok import parser

# group.getStatTopics returns only the statistics asked for in ``fields`` (third-party clients ask
# for ID and COMMENTS; the field names are not on the method's page).
STAT_FIELDS = "ID,COMMENTS"
TOPICS_PER_CALL = 20
MEDIA_LIMIT = 3  # mediatopic.getByIds: required for several topics, 1..3 (apiok.ru)
COMMENTS_PER_CALL = 100
MAX_GONE = 500  # deleted comment ids remembered per topic (to see them restored)
CONTEXT_CHARS = 500  # of a topic's text, kept in the cursor as its comments' context
RATE_LIMIT_CODES = {8, 11}
TRANSIENT_CODES = {1, 2, 9999}
AUTH_CODES = {101, 102, 103, 104, 105}

MANUAL_PUBLISH = (
    "Одноклассники не дают приложению ответить от имени группы через API. "
    "Опубликуйте ответ вручную в обсуждении и отметьте публикацию в карточке сообщения."
)


def signature(
    params: Mapping[str, Any], *, access_token: str, application_secret_key: str, session_secret_key: str = ""
) -> str:
    """The ``sig`` of a call in a session (apiok.ru/dev/methods, «Расчет подписи запроса»): the
    session's ``session_secret_key`` when the application was given one, otherwise
    ``md5(access_token + application_secret_key)`` in lower case."""
    secret = session_secret_key or hashlib.md5((access_token + application_secret_key).encode()).hexdigest().lower()
    pairs = "".join(
        f"{key}={params[key]}" for key in sorted(params) if key not in {"sig", "access_token", "session_key"}
    )
    return hashlib.md5((pairs + secret).encode()).hexdigest().lower()


class OkClient(HttpApi):
    network = "ok"
    default_base_url = "https://api.ok.ru"

    def __init__(
        self,
        *,
        application_key: str,
        application_secret_key: str,
        access_token: str,
        group_ids: list[str] | None = None,
        topics_depth: int = 20,
        window_days: int = 30,
        recheck_minutes: int = 60,
        recheck_per_poll: int = 10,
        max_pages: int = 20,
        publish_via_api: bool = False,
        bot_token: str = "",
        session_secret_key: str = "",
        now: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        # Accept the endpoint itself too ("https://api.ok.ru/fb.do", as OTKLIK_OK_API_URL has it).
        self.base_url = self.base_url.removesuffix("/fb.do")
        missing = [
            name
            for name, value in (
                ("application_key", application_key),
                ("application_secret_key", application_secret_key),
                ("access_token", access_token),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(f"не заданы {', '.join(missing)}", source=self.network)
        self.application_key = application_key
        self.application_secret_key = application_secret_key
        self.access_token = access_token
        self.group_ids = [str(g) for g in group_ids or []]
        self.topics_depth = max(1, min(100, int(topics_depth)))
        self.window_days = max(1, int(window_days))
        self.recheck_seconds = max(60, int(recheck_minutes) * 60)
        self.recheck_per_poll = max(0, int(recheck_per_poll))
        self.max_pages = max(1, int(max_pages))
        self.session_secret_key = session_secret_key
        self.clock = now or time.time  # injectable for tests
        self.publish_via_api = publish_via_api
        self.bot_token = bot_token

    def call(self, method: str, *, publishing: bool = False, **params: Any) -> Any:
        # No idempotency key on OK: a comment whose answer was lost is not sent again.
        return self.with_retries(
            lambda: self._call_once(method, params, publishing),
            what=f"ok {method}",
            retry_transient=not publishing,
        )

    def _call_once(self, method: str, params: dict, publishing: bool) -> Any:
        data = {k: _param(v) for k, v in params.items() if v is not None}
        data.update(method=method, application_key=self.application_key, format="json")
        data["sig"] = signature(
            data,
            access_token=self.access_token,
            application_secret_key=self.application_secret_key,
            session_secret_key=self.session_secret_key,
        )
        data["access_token"] = self.access_token
        response = self.send("POST", f"{self.base_url}/fb.do", data=data)
        body = self.api_json(
            response,
            method,
            "API Одноклассников",
            lambda b: response.status_code == 200 or (isinstance(b, Mapping) and "error_code" in b),
        )
        if isinstance(body, Mapping) and "error_code" in body:
            raise self._error(method, body, publishing)
        return body

    def _error(self, method: str, body: Mapping, publishing: bool) -> SourceError:
        code = int(body.get("error_code") or 0)
        text = f"{method}: ошибка {code} «{body.get('error_msg', '')}»"
        if code in RATE_LIMIT_CODES:
            return RateLimited(text, source=self.network, code=code)
        if code in TRANSIENT_CODES:
            return TransientSourceError(text, source=self.network, code=code)
        if code in AUTH_CODES:
            return ConfigurationError(f"ключи приложения или токен неверны ({text})", source=self.network, code=code)
        if publishing:
            return CannotPublish(f"{MANUAL_PUBLISH} ({text})", source=self.network, code=code)
        if code == 10:
            return ConfigurationError(
                f"нет прав (нужен токен администратора группы): {text}",
                source=self.network,
                code=code,
            )
        return SourceError(text, source=self.network, code=code)

    # --- connector ----------------------------------------------------------------------------

    def check(self) -> CheckReport:
        if not self.group_ids:
            raise ConfigurationError("нечего читать: не заданы группы (group_ids)", source=self.network)
        answer = self.call("group.getInfo", uids=",".join(self.group_ids), fields="uid,name")
        # apiok.ru shows the answer as {"groups": [...]}; third-party clients read a bare list.
        groups = answer.get("groups") if isinstance(answer, Mapping) else answer
        if not isinstance(groups, list) or len(groups) < len(self.group_ids):
            raise ConfigurationError(f"группы {self.group_ids} не найдены или недоступны", source=self.network)
        report = CheckReport(
            found=[f"группа «{g.get('name', '')}» (id {g.get('uid', '')})" for g in groups if isinstance(g, Mapping)]
        )
        if not self.publish_via_api:
            report.warnings.append("ответы публикуются вручную: приложению не выданы права писать от имени группы")
        if self.bot_token:
            response = self.send("GET", f"{self.base_url}/graph/me/info", params={"access_token": self.bot_token})
            body = response.json() if response.content else {}
            if not isinstance(body, Mapping) or "error_code" in body or response.status_code >= 400:
                raise ConfigurationError(f"токен бота группы недействителен: {body}", source=self.network)
            # apiok.ru (graph.user.info): a group's token answers {"name", "group_id": "group:<id>"}.
            bot_group = str(body.get("group_id") or "").removeprefix("group:")
            report.found.append(f"токен бота группы «{body.get('name', '')}» (id {bot_group or '?'})")
            if bot_group and bot_group not in self.group_ids:
                report.warnings.append(f"токен бота выдан другой группе (id {bot_group}), не одной из {self.group_ids}")
        return report

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]:
        if not self.group_ids:
            raise ConfigurationError("нечего читать: не заданы группы (group_ids)", source=self.network)
        self.last_skipped = []
        cursor = json.loads(json.dumps(cursor or {}))
        messages: list[IncomingMessage] = []
        groups = cursor.setdefault("groups", {})
        now = float(self.clock())
        for group_id in self.group_ids:
            state = groups.setdefault(group_id, {"topics": {}})
            messages.extend(self._fetch_group(group_id, state, now))
        return messages, cursor

    def _fetch_group(self, group_id: str, state: dict, now: float) -> list[IncomingMessage]:
        stats = self.call(
            "group.getStatTopics",
            gid=group_id,
            count=self.topics_depth,
            fields=STAT_FIELDS,
            start_time=int((now - self.window_days * 86400) * 1000),
        )
        topics = stats.get("topics") if isinstance(stats, Mapping) else None
        if not isinstance(topics, list):
            raise MalformedPayload("group.getStatTopics: нет списка 'topics'", source=self.network)
        known: dict[str, dict] = state.setdefault("topics", {})
        counts: dict[str, int] = {}
        for topic in topics:
            if isinstance(topic, Mapping) and topic.get("id"):
                if topic.get("comments") is None:
                    raise MalformedPayload(
                        "group.getStatTopics: нет числа комментариев 'comments'", source=self.network
                    )
                counts[str(topic["id"])] = int(topic.get("comments") or 0)
        out: list[IncomingMessage] = []
        new_ids = [i for i in counts if i not in known]
        texts: dict[str, str] = {}
        for i in range(0, len(new_ids), TOPICS_PER_CALL):
            response = self.call(
                "mediatopic.getByIds",
                topic_ids=",".join(new_ids[i : i + TOPICS_PER_CALL]),
                media_limit=MEDIA_LIMIT,
                fields="media_topic.*,group.name,group.uid,user.name,user.uid",
            )
            parsed = parser.parse_topics(response, group_id=group_id)
            self.last_skipped.extend(parsed.skipped)
            out.extend(m for m in parsed.messages if m.author_id != group_id)
            # The topic's text is the context its comments are shown with (the group's own post too).
            texts.update((parser.parse_external_id(m.external_id)[0], m.text[:CONTEXT_CHARS]) for m in parsed.messages)
        due: list[tuple[float, str]] = []
        for topic_id, count in counts.items():
            tstate = known.setdefault(topic_id, {})
            if "ids" not in tstate:  # a topic not read yet (or a cursor from before per-comment state)
                tstate.clear()
                tstate.update(n=-1, t=0, ids={}, gone=[])
            if topic_id in texts:
                tstate["text"] = texts[topic_id]
            if tstate.get("resume") or (count != tstate["n"] and (count or tstate["ids"])):
                due.append((-1.0, topic_id))  # changed: read now, whatever the budget
            elif count and now - float(tstate.get("t", 0)) >= self.recheck_seconds:
                due.append((float(tstate.get("t", 0)), topic_id))
        forced = [d for d in due if d[0] < 0]
        periodic = sorted(d for d in due if d[0] >= 0)[: self.recheck_per_poll]
        for _t, topic_id in [*forced, *periodic]:
            tstate = known[topic_id]
            out.extend(self._read_comments(group_id, topic_id, tstate))
            tstate["t"] = now
        for topic_id, count in counts.items():
            if not known[topic_id].get("resume") and (known[topic_id]["t"] == now or not count):
                known[topic_id]["n"] = count
        # Keep the cursor small: forget topics that fell out of the window.
        for stale in set(known) - set(counts):
            del known[stale]
        return out

    def _read_comments(self, group_id: str, topic_id: str, tstate: dict) -> list[IncomingMessage]:
        """Read a topic's comments from the oldest (``anchor=FIRST``), or on from where a long
        read stopped, and compare them with what the cursor remembers: a new id is a new comment,
        another text under a known id an edit, a known id missing from a complete read a deletion,
        a deleted id that is back a restoration."""
        known: dict[str, str] = tstate["ids"]
        gone: list[str] = tstate["gone"]
        seen: set[str] = set(tstate.pop("pass", []))
        anchor = tstate.pop("resume", None) or "FIRST"
        out: list[IncomingMessage] = []
        complete = False
        for _page in range(self.max_pages):
            response = self.call(
                "discussions.getComments",
                discussionId=topic_id,
                discussionType="GROUP_TOPIC",
                anchor=anchor,
                direction="FORWARD",
                count=COMMENTS_PER_CALL,
            )
            parsed = parser.parse_comments(
                response, topic_id=topic_id, group_id=group_id, topic_text=str(tstate.get("text") or "")
            )
            self.last_skipped.extend(parsed.skipped)
            # A comment the parser had to skip is still there: never take it for a deletion.
            seen.update(
                str(c["id"])
                for c in response.get("comments") or ()
                if isinstance(c, Mapping) and c.get("id") and not c.get("deleted")
            )
            for message in parsed.messages:
                comment_id = str(message.raw.get("id"))
                if message.author_id == group_id:
                    continue  # the group's own comments (our answers) are not citizens' messages
                if message.change == "deleted":  # shown as deleted (kept for its replies)
                    if comment_id in known:
                        del known[comment_id]
                        gone.append(comment_id)
                        out.append(message)
                    continue
                seen.add(comment_id)
                digest = _digest(message.text)
                if comment_id in gone:
                    gone.remove(comment_id)
                    out.append(replace(message, change="restored"))
                elif comment_id not in known:
                    out.append(message)
                elif known[comment_id] != digest:
                    out.append(replace(message, change="edited"))
                known[comment_id] = digest
            next_anchor = response.get("anchor") if isinstance(response, Mapping) else None
            if not response.get("has_more") or not next_anchor or next_anchor == anchor:
                complete = True
                break
            anchor = next_anchor
        if not complete:
            # A very long discussion: go on from here next poll; no deletion is inferred from a
            # partial read.
            tstate["resume"] = anchor
            tstate["pass"] = sorted(seen)
            return out
        for comment_id in [c for c in known if c not in seen]:
            del known[comment_id]
            gone.append(comment_id)
            out.append(parser.removed_comment(topic_id, comment_id, group_id=group_id))
        del gone[: max(0, len(gone) - MAX_GONE)]
        return out

    def publish(self, req: PublishRequest) -> PublishResult:
        topic_id, comment_id = parser.parse_external_id(req.reply_to_external_id)
        if not self.publish_via_api:
            raise CannotPublish(MANUAL_PUBLISH, source=self.network)
        if req.attachments:
            raise CannotPublish("Одноклассники: ответ с фотографиями публикуется вручную", source=self.network)
        response = self.call(
            "discussions.addDiscussionComment",
            publishing=True,
            entityId=topic_id,
            entityType="GROUP_TOPIC",
            comment=req.text,
            reply_to_comment_id=comment_id,
            as_admin="true",
        )
        new_id = response.get("id") if isinstance(response, Mapping) else response
        if not new_id:
            raise MalformedPayload("discussions.addDiscussionComment: нет id", source=self.network)
        group_id = self.group_ids[0] if self.group_ids else ""
        return PublishResult(
            external_id=parser.comment_external_id(topic_id, str(new_id)),
            url=parser.topic_url(group_id, topic_id),
        )


def _digest(text: str) -> str:
    """A short fingerprint of a comment's text, to see an edit without keeping the text."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
