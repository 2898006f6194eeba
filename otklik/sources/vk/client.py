"""VK API v5.199 client: collects posts and comments from community walls (and keyword search
through ``newsfeed.search``) and publishes replies with ``wall.createComment``.

Wire format: ``POST https://api.vk.com/method/<name>`` with form params ``access_token`` and
``v=5.199``; success is ``{"response": ...}``; errors come as HTTP 200 with
``{"error": {"error_code", "error_msg", "request_params"}}``.

Error mapping: 6, 9, 29 -> ``RateLimited`` (retried with back-off); 1, 10 -> transient (retried);
5 -> ``ConfigurationError``; 15, 212, 213, 223 (and any other refusal while publishing) ->
``CannotPublish``. ``wall.createComment`` carries the draft's ``guid`` so a retry after a lost
answer never posts the answer twice.

Cursor (per community ``str(group_id)``): ``post`` — the largest post id seen; ``comment`` — the
largest comment id seen on that wall (VK comment ids grow per wall); ``counts`` — comment counts
of the recent posts, so ``wall.getComments`` is called only for posts whose count changed.
Keyword search keeps ``search.start_time``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otklik.domain.messages import IncomingMessage, PublishRequest, PublishResult
from otklik.sources.base import HttpApi
from otklik.sources.errors import (
    CannotPublish,
    ConfigurationError,
    MalformedPayload,
    RateLimited,
    SourceError,
    TransientSourceError,
)
from otklik.sources.vk import parser

logger = logging.getLogger(__name__)

API_VERSION = "5.199"
RATE_LIMIT_CODES = {6, 9, 29}
TRANSIENT_CODES = {1, 10}
AUTH_CODES = {5}
CANNOT_PUBLISH_CODES = {15, 212, 213, 223}

CANNOT_PUBLISH_TEXT = {
    15: "доступ запрещён",
    212: "нет доступа к комментариям записи (комментарии закрыты)",
    213: "нет доступа к комментированию записи",
    223: "превышен лимит ответов в ветке комментариев",
}


class VkApiError(SourceError):
    pass


class VkClient(HttpApi):
    network = "vk"
    default_base_url = "https://api.vk.com/method"

    def __init__(
        self,
        *,
        token: str,
        group_ids: list[int] | None = None,
        keywords: list[str] | None = None,
        posts_depth: int = 20,
        publish_as_group: bool = True,
        include_own_posts: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not token:
            raise ConfigurationError("не задан ключ доступа (token)", source=self.network)
        self.token = token
        self.group_ids = [abs(int(g)) for g in group_ids or []]
        self.keywords = [k for k in keywords or [] if k.strip()]
        self.posts_depth = max(1, min(100, int(posts_depth)))
        self.publish_as_group = publish_as_group
        # The community's own posts and comments (our published answers among them) are not
        # citizens' messages; their comments are collected all the same.
        self.include_own_posts = include_own_posts

    # --- protocol -----------------------------------------------------------------------------

    def call(self, method: str, *, publishing: bool = False, **params: Any) -> Any:
        """Call an API method with retries; returns the ``response`` part."""
        return self.with_retries(lambda: self._call_once(method, params, publishing), what=f"vk {method}")

    def _call_once(self, method: str, params: Mapping[str, Any], publishing: bool) -> Any:
        data = {k: _param(v) for k, v in params.items() if v is not None}
        data.update(access_token=self.token, v=API_VERSION)
        response = self.send("POST", f"{self.base_url}/{method}", data=data)
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientSourceError(
                f"{method}: ответ не JSON (HTTP {response.status_code})", source=self.network
            ) from exc
        if not isinstance(body, Mapping):
            raise MalformedPayload(f"{method}: ответ не объект", source=self.network)
        if "error" in body:
            raise self._error(method, body["error"], publishing)
        if "response" not in body:
            raise MalformedPayload(f"{method}: в ответе нет 'response'", source=self.network)
        return body["response"]

    def _error(self, method: str, error: Any, publishing: bool) -> SourceError:
        error = error if isinstance(error, Mapping) else {}
        code = int(error.get("error_code") or 0)
        msg = str(error.get("error_msg") or "")
        text = f"{method}: ошибка {code} «{msg}»"
        if code in RATE_LIMIT_CODES:
            return RateLimited(text, source=self.network, code=code)
        if code in TRANSIENT_CODES:
            return TransientSourceError(text, source=self.network, code=code)
        if code in AUTH_CODES:
            return ConfigurationError(f"ключ доступа недействителен или истёк ({text})", source=self.network, code=code)
        if code in CANNOT_PUBLISH_CODES or publishing:
            reason = CANNOT_PUBLISH_TEXT.get(code, msg)
            return CannotPublish(
                f"ВКонтакте не принял ответ: {reason} (ошибка {code})",
                source=self.network,
                code=code,
            )
        return VkApiError(text, source=self.network, code=code)

    # --- check --------------------------------------------------------------------------------

    def check(self) -> None:
        if not self.group_ids and not self.keywords:
            raise ConfigurationError(
                "не заданы сообщества (group_ids) или ключевые слова (keywords)",
                source=self.network,
            )
        if self.group_ids:
            response = self.call("groups.getById", group_ids=self.group_ids)
            groups = response.get("groups") if isinstance(response, Mapping) else response
            if not groups:
                raise ConfigurationError(f"сообщества {self.group_ids} не найдены", source=self.network)

    # --- fetch --------------------------------------------------------------------------------

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]:
        self.last_skipped = []
        cursor = json.loads(json.dumps(cursor or {}))  # never mutate the caller's copy
        messages: list[IncomingMessage] = []
        walls = cursor.setdefault("walls", {})
        for group_id in self.group_ids:
            state = walls.setdefault(str(group_id), {"post": 0, "comment": 0, "counts": {}})
            messages.extend(self._fetch_wall(-group_id, state))
        if self.keywords:
            messages.extend(self._fetch_search(cursor.setdefault("search", {})))
        unique = {m.external_id: m for m in messages}  # a thread may be read twice
        return list(unique.values()), cursor

    def _fetch_wall(self, owner_id: int, state: dict) -> list[IncomingMessage]:
        response = self.call("wall.get", owner_id=owner_id, count=self.posts_depth, extended=1, filter="all")
        parsed = parser.parse_wall(response)
        self.last_skipped.extend(parsed.skipped)
        names = parser.Names.from_response(response)
        last_post = int(state.get("post", 0))
        last_comment = int(state.get("comment", 0))
        old_counts: dict[str, int] = state.get("counts", {})
        new_counts: dict[str, int] = {}
        out: list[IncomingMessage] = []
        max_comment = last_comment
        for post in parsed.messages:
            post_id = int(post.raw["id"])
            own = post.author_id == str(owner_id)
            if post_id > last_post and (self.include_own_posts or not own):
                out.append(post)
            comments = post.raw.get("comments") or {}
            count = int(comments.get("count") or 0) if isinstance(comments, Mapping) else 0
            new_counts[str(post_id)] = count
            if count and count != old_counts.get(str(post_id)):
                for comment in self._fetch_comments(owner_id, post_id, names):
                    cid = int(comment.raw["id"])
                    if cid > last_comment and comment.author_id != str(owner_id):
                        out.append(comment)
                    max_comment = max(max_comment, cid)
        ids = [int(p.raw["id"]) for p in parsed.messages]
        state["post"] = max([last_post, *ids])
        state["comment"] = max_comment
        state["counts"] = new_counts
        return out

    def _fetch_comments(self, owner_id: int, post_id: int, names: parser.Names) -> list[IncomingMessage]:
        result: list[IncomingMessage] = []
        offset = 0
        while True:
            response = self.call(
                "wall.getComments",
                owner_id=owner_id,
                post_id=post_id,
                need_likes=0,
                count=100,
                offset=offset,
                sort="asc",
                thread_items_count=10,
                extended=1,
                preview_length=0,
            )
            parsed = parser.parse_comments(response, owner_id=owner_id, post_id=post_id, names=names)
            self.last_skipped.extend(parsed.skipped)
            result.extend(parsed.messages)
            # Threads longer than thread_items_count: read the rest of each thread.
            for item in response.get("items", []):
                thread = item.get("thread") if isinstance(item, Mapping) else None
                if isinstance(thread, Mapping):
                    shown = len(thread.get("items") or [])
                    if int(thread.get("count") or 0) > shown:
                        result.extend(self._fetch_thread(owner_id, post_id, int(item["id"]), names))
            top_level = int(response.get("current_level_count") or response.get("count") or 0)
            offset += len(response.get("items", []))
            if not response.get("items") or offset >= top_level:
                return result

    def _fetch_thread(self, owner_id: int, post_id: int, comment_id: int, names: parser.Names) -> list[IncomingMessage]:
        response = self.call(
            "wall.getComments",
            owner_id=owner_id,
            post_id=post_id,
            comment_id=comment_id,
            count=100,
            sort="asc",
            extended=1,
            preview_length=0,
        )
        out: list[IncomingMessage] = []
        names.update(response)
        for item in response.get("items", []):
            try:
                out.append(
                    parser.parse_comment(
                        item,
                        owner_id=owner_id,
                        post_id=post_id,
                        names=names,
                        thread_root=comment_id,
                    )
                )
            except MalformedPayload as exc:
                self.skip(str(exc))
        return out

    def _fetch_search(self, state: dict) -> list[IncomingMessage]:
        """``newsfeed.search`` for each keyword, from the last run's time (first run: 1 day)."""
        out: list[IncomingMessage] = []
        now = int(time.time())
        for keyword in self.keywords:
            kstate = state.setdefault(keyword, {})
            start_time = int(kstate.get("start_time") or now - 86400)
            start_from: str | None = None
            newest = start_time
            for _page in range(10):  # bounded: at most 2 000 posts per keyword per run
                response = self.call(
                    "newsfeed.search",
                    q=keyword,
                    count=200,
                    extended=1,
                    start_time=start_time,
                    end_time=now,
                    start_from=start_from,
                )
                parsed = parser.parse_newsfeed_search(response)
                self.last_skipped.extend(parsed.skipped)
                out.extend(parsed.messages)
                for message in parsed.messages:
                    if message.published_at:
                        newest = max(newest, int(message.published_at.timestamp()))
                start_from = response.get("next_from")
                if not start_from:
                    break
            kstate["start_time"] = max(newest + 1, start_time)
        return out

    # --- publish ------------------------------------------------------------------------------

    def publish(self, req: PublishRequest) -> PublishResult:
        ref = parser.parse_external_id(req.reply_to_external_id)
        if not req.text.strip() and not req.attachments:
            raise CannotPublish("пустой ответ", source=self.network)
        attachments = [self._upload_photo(ref.owner_id, path) for path in req.attachments]
        from_group = -ref.owner_id if (self.publish_as_group and ref.owner_id < 0) else None
        response = self.call(
            "wall.createComment",
            publishing=True,
            owner_id=ref.owner_id,
            post_id=ref.post_id,
            from_group=from_group,
            message=req.text,
            reply_to_comment=ref.comment_id,
            attachments=",".join(attachments) or None,
            guid=req.guid,
        )
        if not isinstance(response, Mapping) or "comment_id" not in response:
            raise MalformedPayload("wall.createComment: нет 'comment_id'", source=self.network)
        comment_id = int(response["comment_id"])
        return PublishResult(
            external_id=parser.comment_external_id(ref.owner_id, ref.post_id, comment_id),
            url=parser.comment_url(ref.owner_id, ref.post_id, comment_id),
        )

    def _upload_photo(self, owner_id: int, path: Path) -> str:
        """photos.getWallUploadServer -> multipart upload (field ``photo``) ->
        photos.saveWallPhoto -> ``photo{owner_id}_{id}``."""
        group_id = -owner_id if owner_id < 0 else None
        server = self.call("photos.getWallUploadServer", publishing=True, group_id=group_id)
        upload_url = server.get("upload_url") if isinstance(server, Mapping) else None
        if not upload_url:
            raise MalformedPayload("photos.getWallUploadServer: нет upload_url", source=self.network)
        content = Path(path).read_bytes()

        def upload() -> Any:
            response = self.send("POST", upload_url, files={"photo": (Path(path).name, content, "image/jpeg")})
            try:
                return response.json()
            except ValueError as exc:
                raise TransientSourceError("загрузка фото: ответ не JSON", source=self.network) from exc

        uploaded = self.with_retries(upload, what="vk photo upload")
        if not isinstance(uploaded, Mapping) or not uploaded.get("photo") or uploaded.get("photo") == "[]":
            raise CannotPublish("ВКонтакте не принял фотографию", source=self.network)
        saved = self.call(
            "photos.saveWallPhoto",
            publishing=True,
            group_id=group_id,
            server=uploaded.get("server"),
            photo=uploaded.get("photo"),
            hash=uploaded.get("hash"),
        )
        if not isinstance(saved, list) or not saved:
            raise MalformedPayload("photos.saveWallPhoto: пустой ответ", source=self.network)
        return f"photo{saved[0]['owner_id']}_{saved[0]['id']}"


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
