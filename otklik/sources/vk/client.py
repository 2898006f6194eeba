"""VK API v5.199 client: collects posts and comments from community walls (and keyword search
through ``newsfeed.search``) and publishes replies with ``wall.createComment``.

Wire format: ``POST https://api.vk.com/method/<name>`` with form params ``access_token`` and
``v=5.199``; success is ``{"response": ...}``; errors come as HTTP 200 with
``{"error": {"error_code", "error_msg", "request_params"}}``.

Error mapping: 6, 9, 29 -> ``RateLimited`` (retried with back-off); 1, 10 -> transient (retried);
5 -> ``ConfigurationError``; 15, 212, 213, 223 (and any other refusal while publishing) ->
``CannotPublish``. ``wall.createComment`` carries the draft's ``guid`` so a retry after a lost
answer never posts the answer twice.

Reading a wall loses nothing (issue 11): every post published within ``window_days`` (default
30; ``wall.get`` pages of 100, a pinned old post does not stop the walk) is watched. The cursor
keeps, per community ``str(group_id)``, ``post`` (the largest post id seen, for new posts) and, per
post, ``n`` (its comment count when last read) and ``t`` (when its comments were last read). A
post's comments are read again when its count changes, and every ``recheck_minutes`` even when it
does not (a comment deleted and another added between two polls leave the count as it was), at
most ``recheck_per_poll`` posts per poll, the longest unread first. Each read returns every
comment of the post; ingestion is idempotent and a changed text becomes a revision. There is no
wall-wide "largest comment id" cursor: a comment on an earlier post made while the poll read a
later one is read on the next poll. Replies under a deleted comment are kept (the deleted one
itself becomes a deletion); the community's own posts and comments are never citizens' messages.

Communities are given by id, short name or link; names are resolved with ``groups.getById`` and
the answer kept in the cursor (``resolved``). Keyword search keeps ``search.start_time`` and
skips the community's own posts.

An HTTP status or body that is not VK's own answer means the base URL is wrong: that is a
``ConfigurationError`` naming the address, never «ошибка 0».

Why one module of over 400 lines: the wall walk, the per-post cursor and the publication share
one client (its session, rate limit and error mapping); the pure payload reading is ``parser.py``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otklik.domain.messages import IncomingMessage, PublishRequest, PublishResult, parent_context
from otklik.domain.networks import media_kind
from otklik.sources.base import CheckReport, HttpApi
from otklik.sources.errors import (
    CannotPublish,
    ConfigurationError,
    MalformedPayload,
    RateLimited,
    SourceError,
    TransientSourceError,
)
from otklik.sources.payload import as_mapping
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


_GROUP_LINK = re.compile(r"^(?:https?://)?(?:m\.)?vk\.(?:com|ru)/", re.IGNORECASE)
_GROUP_ID = re.compile(r"^(?:club|public|event)?-?(\d+)$", re.IGNORECASE)


def community_ref(value: Any) -> int | str:
    """A community as the administrator wrote it: ``123``, ``-123``, ``club123``, ``gazzavod_adm``,
    ``https://vk.com/gazzavod_adm`` -> the id (int) or the short name (str) to resolve."""
    text = _GROUP_LINK.sub("", str(value).strip()).strip("/").split("?")[0]
    if not text:
        raise ConfigurationError(f"пустое имя сообщества: {value!r}", source="vk")
    match = _GROUP_ID.match(text)
    if match:
        return int(match.group(1))
    if not re.match(r"^[A-Za-z0-9_.]+$", text):
        raise ConfigurationError(f"не похоже на сообщество ВКонтакте: {value!r}", source="vk")
    return text.lower()


class VkClient(HttpApi):
    network = "vk"
    default_base_url = "https://api.vk.com/method"

    def __init__(
        self,
        *,
        token: str,
        group_ids: list[Any] | None = None,
        keywords: list[str] | None = None,
        window_days: int = 30,
        recheck_minutes: int = 60,
        recheck_per_poll: int = 10,
        max_posts: int = 1000,
        publish_as_group: bool = True,
        include_own_posts: bool = False,
        now: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not token:
            raise ConfigurationError("не задан ключ доступа (token)", source=self.network)
        self.token = token
        self.groups = [community_ref(g) for g in group_ids or []]
        self.keywords = [k for k in keywords or [] if k.strip()]
        self.window_days = max(1, int(window_days))
        self.recheck_seconds = max(60, int(recheck_minutes) * 60)
        self.recheck_per_poll = max(0, int(recheck_per_poll))
        self.max_posts = max(1, int(max_posts))
        self.clock = now or time.time  # injectable for tests
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
        if response.status_code == 429:
            raise RateLimited(f"{method}: HTTP 429", source=self.network, code=429)
        if response.status_code != 200:  # VK answers 200 to everything, its errors included
            raise ConfigurationError(
                f"адрес API «{self.base_url}» ответил на {method} не как API ВКонтакте "
                f"(HTTP {response.status_code}): проверьте адрес API",
                source=self.network,
                code=response.status_code,
            )
        body = self.api_json(
            response, method, "API ВКонтакте", lambda b: isinstance(b, Mapping) and ("error" in b or "response" in b)
        )
        if "error" in body:
            raise self._error(method, body["error"], publishing)
        return body["response"]

    def _error(self, method: str, error: Any, publishing: bool) -> SourceError:
        error = error if isinstance(error, Mapping) else {}
        try:
            code = int(error.get("error_code") or 0)
        except (TypeError, ValueError):
            code = 0
        msg = str(error.get("error_msg") or "")
        if not code:
            return ConfigurationError(
                f"{method}: адрес API «{self.base_url}» вернул ошибку без кода ({msg or 'без описания'}): "
                "проверьте адрес API",
                source=self.network,
            )
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

    def _require_something_to_read(self) -> None:
        if not self.groups and not self.keywords:
            raise ConfigurationError(
                "нечего читать: не заданы сообщества (group_ids) и ключевые слова (keywords)",
                source=self.network,
            )

    def resolve_groups(self, resolved: dict[str, int] | None = None) -> list[dict]:
        """``groups.getById`` for the configured communities: their ids, names and short names."""
        if not self.groups:
            return []
        response = self.call("groups.getById", group_ids=[str(g) for g in self.groups], fields="can_post")
        groups = response.get("groups") if isinstance(response, Mapping) else response
        found = [g for g in groups or [] if isinstance(g, Mapping) and g.get("id")]
        by_key: dict[str, dict] = {}
        for group in found:
            by_key[str(group["id"])] = dict(group)
            if group.get("screen_name"):
                by_key[str(group["screen_name"]).lower()] = dict(group)
        missing = [str(g) for g in self.groups if str(g) not in by_key]
        if missing:
            raise ConfigurationError(f"сообщества не найдены: {', '.join(missing)}", source=self.network)
        if resolved is not None:
            for ref in self.groups:
                resolved[str(ref)] = int(by_key[str(ref)]["id"])
        return [by_key[str(g)] for g in self.groups]

    def author_names(self, from_ids: list[int]) -> dict[int, str]:
        """Display names of comment authors (``from_id``: a user, or minus a community) with
        ``users.get`` and ``groups.getById``, 1000 / 500 ids a call: for the Callback API, whose
        events carry only ``from_id`` (polling has them from ``extended=1``)."""
        names = parser.Names()
        users = sorted({i for i in from_ids if i > 0})
        groups = sorted({-i for i in from_ids if i < 0})
        for i in range(0, len(users), 1000):
            profiles = self.call("users.get", user_ids=",".join(map(str, users[i : i + 1000])))
            names.update({"profiles": profiles if isinstance(profiles, list) else []})
        for i in range(0, len(groups), 500):
            response = self.call("groups.getById", group_ids=",".join(map(str, groups[i : i + 500])))
            found = response.get("groups") if isinstance(response, Mapping) else response
            names.update({"groups": found if isinstance(found, list) else []})
        return {k: v for k, v in names.by_id.items() if v}

    def check(self) -> CheckReport:
        self._require_something_to_read()
        report = CheckReport()
        resolved: dict[str, int] = {}
        for group in self.resolve_groups(resolved):
            closed = " (закрытое)" if group.get("is_closed") else ""
            report.found.append(f"сообщество «{group.get('name', '')}» (id {group['id']}){closed}")
        report.config_updates["group_ids"] = [resolved[str(g)] for g in self.groups]
        if self.keywords:
            report.found.append("поиск по словам: " + ", ".join(self.keywords))
        return report

    # --- fetch --------------------------------------------------------------------------------

    def _group_ids(self, cursor: dict) -> list[int]:
        resolved: dict[str, int] = cursor.setdefault("resolved", {})
        if any(isinstance(g, str) and g not in resolved for g in self.groups):
            self.resolve_groups(resolved)
        return [g if isinstance(g, int) else int(resolved[g]) for g in self.groups]

    def fetch(self, cursor: dict) -> tuple[list[IncomingMessage], dict]:
        self._require_something_to_read()
        self.last_skipped = []
        cursor = json.loads(json.dumps(cursor or {}))  # never mutate the caller's copy
        messages: list[IncomingMessage] = []
        walls = cursor.setdefault("walls", {})
        own = {-g for g in self._group_ids(cursor)}
        for group_id in self._group_ids(cursor):
            state = walls.setdefault(str(group_id), {})
            messages.extend(self._fetch_wall(-group_id, state, own))
        if self.keywords:
            messages.extend(self._fetch_search(cursor.setdefault("search", {}), own))
        unique = {(m.external_id, m.change): m for m in messages}  # a thread may be read twice
        return list(unique.values()), cursor

    def _wall_posts(self, owner_id: int, cutoff: float) -> tuple[list[IncomingMessage], parser.Names]:
        """Every post of the wall published after ``cutoff`` (newest first, 100 per call)."""
        posts: list[IncomingMessage] = []
        names = parser.Names()
        offset = 0
        while offset < self.max_posts:
            response = self.call("wall.get", owner_id=owner_id, count=100, offset=offset, extended=1, filter="all")
            parsed = parser.parse_wall(response)
            self.last_skipped.extend(parsed.skipped)
            names.update(response)
            items = response.get("items") or []
            offset += len(items)
            older = False
            for post in parsed.messages:
                pinned = bool(post.raw.get("is_pinned"))
                when = post.published_at.timestamp() if post.published_at else cutoff
                if when < cutoff:
                    older = older or not pinned
                    continue
                posts.append(post)
            if older or not items or offset >= int(response.get("count") or 0):
                break
        return posts, names

    def _fetch_wall(self, owner_id: int, state: dict, own: set[int]) -> list[IncomingMessage]:
        now = float(self.clock())
        posts, names = self._wall_posts(owner_id, now - self.window_days * 86400)
        last_post = int(state.get("post", 0))
        known: dict[str, dict] = state.get("posts", {})
        out: list[IncomingMessage] = []
        watched: dict[str, dict] = {}
        due: list[tuple[float, IncomingMessage, int]] = []
        for post in posts:
            post_id = int(post.raw["id"])
            if post_id > last_post and (self.include_own_posts or not _is_own(post.author_id, own)):
                out.append(post)
            comments = as_mapping(post.raw.get("comments"))
            count = int(comments.get("count") or 0)
            seen = known.get(str(post_id), {})
            watched[str(post_id)] = {"n": seen.get("n", 0), "t": seen.get("t", 0)}
            if count != seen.get("n", 0) and count:
                out.extend(self._read_post(owner_id, post, names, own))
                watched[str(post_id)] = {"n": count, "t": now}
            elif count:
                watched[str(post_id)]["n"] = count
                if now - float(seen.get("t", 0)) >= self.recheck_seconds:
                    due.append((float(seen.get("t", 0)), post, count))
        # Re-read unchanged counts too (a deletion and an addition keep the count), oldest first.
        for _t, post, count in sorted(due, key=lambda d: d[0])[: self.recheck_per_poll]:
            out.extend(self._read_post(owner_id, post, names, own))
            watched[str(post.raw["id"])] = {"n": count, "t": now}
        state["post"] = max([last_post, *(int(p.raw["id"]) for p in posts)])
        state["posts"] = watched  # posts out of the window are forgotten
        state.pop("comment", None)
        state.pop("counts", None)
        return out

    def _read_post(
        self, owner_id: int, post: IncomingMessage, names: parser.Names, own: set[int]
    ) -> list[IncomingMessage]:
        context = parent_context("post", post.external_id, post.text, post.url, post.author_name)
        comments = self._fetch_comments(owner_id, int(post.raw["id"]), names, context)
        return [c for c in comments if c.change or not _is_own(c.author_id, own)]

    def _fetch_comments(
        self, owner_id: int, post_id: int, names: parser.Names, context: dict | None = None
    ) -> list[IncomingMessage]:
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
            parsed = parser.parse_comments(response, owner_id=owner_id, post_id=post_id, names=names, context=context)
            self.last_skipped.extend(parsed.skipped)
            result.extend(parsed.messages)
            roots = {m.external_id: m for m in parsed.messages}
            # Threads longer than thread_items_count (under deleted comments too): read the rest.
            for item in response.get("items", []):
                thread = item.get("thread") if isinstance(item, Mapping) else None
                if isinstance(thread, Mapping):
                    shown = len(thread.get("items") or [])
                    if int(thread.get("count") or 0) > shown:
                        root = roots.get(parser.comment_external_id(owner_id, post_id, int(item["id"])))
                        result.extend(self._fetch_thread(owner_id, post_id, int(item["id"]), names, root, context))
            top_level = int(response.get("current_level_count") or response.get("count") or 0)
            offset += len(response.get("items", []))
            if not response.get("items") or offset >= top_level:
                return result

    def _fetch_thread(
        self,
        owner_id: int,
        post_id: int,
        comment_id: int,
        names: parser.Names,
        root: IncomingMessage | None = None,
        context: dict | None = None,
    ) -> list[IncomingMessage]:
        out: list[IncomingMessage] = []
        offset = 0
        while True:
            response = self.call(
                "wall.getComments",
                owner_id=owner_id,
                post_id=post_id,
                comment_id=comment_id,
                count=100,
                offset=offset,
                sort="asc",
                extended=1,
                preview_length=0,
            )
            names.update(response)
            thread_context = (
                parent_context("comment", root.external_id, root.text, root.url, root.author_name)
                if root is not None and not root.change
                else context
            )
            items = response.get("items") or []
            for item in items:
                try:
                    if isinstance(item, Mapping) and item.get("deleted"):
                        out.append(parser.deleted_comment(item, owner_id=owner_id, post_id=post_id))
                        continue
                    out.append(
                        parser.parse_comment(
                            item,
                            owner_id=owner_id,
                            post_id=post_id,
                            names=names,
                            thread_root=comment_id,
                            context=thread_context,
                        )
                    )
                except MalformedPayload as exc:
                    self.skip(str(exc))
            offset += len(items)
            if not items or offset >= int(response.get("count") or 0):
                return out

    def _fetch_search(self, state: dict, own: set[int]) -> list[IncomingMessage]:
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
                out.extend(m for m in parsed.messages if not _is_own(m.author_id, own))
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
        attachments = [
            self._upload_video(ref.owner_id, path)
            if media_kind(Path(path).name) == "video"
            else self._upload_photo(ref.owner_id, path)
            for path in req.attachments
        ]
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

    def _upload_video(self, owner_id: int, path: Path) -> str:
        return _video_upload(self, owner_id, path)

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


def _video_upload(client: VkClient, owner_id: int, path: Path) -> str:
    """video.save -> multipart upload (field ``video_file``) -> ``video{owner_id}_{video_id}``."""
    group_id = -owner_id if owner_id < 0 else None
    slot = client.call("video.save", publishing=True, group_id=group_id, name=Path(path).name, wallpost=0)
    upload_url = slot.get("upload_url") if isinstance(slot, Mapping) else None
    if not upload_url:
        raise MalformedPayload("video.save: нет upload_url", source=client.network)
    content = Path(path).read_bytes()
    response = client.with_retries(
        lambda: client.send("POST", upload_url, files={"video_file": (Path(path).name, content, "video/mp4")}),
        what="vk video upload",
        retry_transient=False,
    )
    try:
        uploaded = response.json()
    except ValueError as exc:
        raise TransientSourceError("загрузка видео: ответ не JSON", source=client.network) from exc
    if not isinstance(uploaded, Mapping) or "error" in uploaded:
        raise CannotPublish("ВКонтакте не принял видео", source=client.network)
    return f"video{slot['owner_id']}_{slot['video_id']}"


def _is_own(author_id: str, own: set[int]) -> bool:
    """A post or comment by one of the watched communities (the administration's own)."""
    try:
        return int(author_id) in own
    except (TypeError, ValueError):
        return False


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
