"""Одноклассники REST API client: collects group topics and their comments.

Wire format: ``https://api.ok.ru/fb.do`` with ``method``, ``application_key``, ``format=json``,
``access_token`` and ``sig``. Signature (apiok.ru, "Расчет подписи запроса"): for a call in a
session, ``secret_key = md5(access_token + application_secret_key)`` in lower case; ``sig =
md5(sorted "key=value" pairs of every parameter except access_token/session_key and sig,
concatenated without separators, + secret_key)``, lower case. Errors:
``{"error_code", "error_msg", "error_data"}``.

Collection: ``group.getStatTopics`` lists the group's recent topics (needs an administrator's
token), ``mediatopic.getByIds`` gives their text, ``discussions.getComments`` (``discussionType
GROUP_TOPIC``, ``anchor`` paging) their comments. The cursor keeps, per topic, the anchor after the
last comment read.

Publishing: OK lets a regular application comment only as the token's user, not as the group;
an official group answer (``discussions.addDiscussionComment`` with ``as_admin``) needs extra
permissions granted by OK. So by default ``publish`` raises ``CannotPublish`` with a message asking
the executor to publish by hand; with ``publish_via_api: true`` in the source settings (the
application has the permissions) it posts with ``discussions.addDiscussionComment``.

Error mapping: 8 FLOOD_BLOCKED, 11 LIMIT_REACHED -> ``RateLimited``; 1 UNKNOWN, 2 SERVICE, 9999
SYSTEM -> transient; 100-105 (bad parameters, key, session, signature) -> ``ConfigurationError``;
7 ACTION_BLOCKED, 10 PERMISSION_DENIED, 300 NOT_FOUND while publishing -> ``CannotPublish``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
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

RATE_LIMIT_CODES = {8, 11}
TRANSIENT_CODES = {1, 2, 9999}
AUTH_CODES = {101, 102, 103, 104, 105}

MANUAL_PUBLISH = (
    "Одноклассники не дают приложению ответить от имени группы через API. "
    "Опубликуйте ответ вручную в обсуждении и отметьте публикацию в карточке сообщения."
)


def signature(params: Mapping[str, Any], *, access_token: str, application_secret_key: str) -> str:
    """The ``sig`` of a call in a session (server-to-server scheme)."""
    secret = hashlib.md5((access_token + application_secret_key).encode()).hexdigest().lower()
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
        publish_via_api: bool = False,
        bot_token: str = "",
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
        groups = self.call("group.getInfo", uids=",".join(self.group_ids), fields="uid,name")
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
        return report

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]:
        if not self.group_ids:
            raise ConfigurationError("нечего читать: не заданы группы (group_ids)", source=self.network)
        self.last_skipped = []
        cursor = json.loads(json.dumps(cursor or {}))
        messages: list[IncomingMessage] = []
        groups = cursor.setdefault("groups", {})
        for group_id in self.group_ids:
            state = groups.setdefault(group_id, {"topics": {}})
            messages.extend(self._fetch_group(group_id, state))
        return messages, cursor

    def _fetch_group(self, group_id: str, state: dict) -> list[IncomingMessage]:
        stats = self.call("group.getStatTopics", gid=group_id, count=self.topics_depth)
        topics = stats.get("topics") if isinstance(stats, Mapping) else None
        if not isinstance(topics, list):
            raise MalformedPayload("group.getStatTopics: нет списка 'topics'", source=self.network)
        known: dict[str, dict] = state.setdefault("topics", {})
        ids = [str(t["id"]) for t in topics if isinstance(t, Mapping) and t.get("id")]
        out: list[IncomingMessage] = []
        new_ids = [i for i in ids if i not in known]
        if new_ids:
            response = self.call(
                "mediatopic.getByIds",
                topic_ids=",".join(new_ids),
                fields="media_topic.*,group.name,group.uid,user.name,user.uid",
            )
            parsed = parser.parse_topics(response, group_id=group_id)
            self.last_skipped.extend(parsed.skipped)
            out.extend(m for m in parsed.messages if m.author_id != group_id)
        for topic in topics:
            if not isinstance(topic, Mapping) or not topic.get("id"):
                continue
            topic_id = str(topic["id"])
            tstate = known.setdefault(topic_id, {"anchor": None, "comments": -1})
            count = int(topic.get("comments") or 0)
            if count and count != tstate.get("comments"):
                out.extend(self._fetch_comments(group_id, topic_id, tstate))
            tstate["comments"] = count
        # Keep the cursor small: forget topics that fell out of the window.
        for stale in set(known) - set(ids):
            del known[stale]
        return out

    def _fetch_comments(self, group_id: str, topic_id: str, tstate: dict) -> list[IncomingMessage]:
        out: list[IncomingMessage] = []
        for _page in range(20):
            response = self.call(
                "discussions.getComments",
                discussionId=topic_id,
                discussionType="GROUP_TOPIC",
                anchor=tstate.get("anchor"),
                direction="FORWARD",
                count=100,
            )
            parsed = parser.parse_comments(response, topic_id=topic_id, group_id=group_id)
            self.last_skipped.extend(parsed.skipped)
            out.extend(m for m in parsed.messages if m.author_id != group_id)
            if response.get("anchor"):
                tstate["anchor"] = response["anchor"]
            if not response.get("has_more"):
                break
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


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
