"""Pure parsers of VK API v5.199 payloads (wall.get, wall.getComments, newsfeed.search,
Callback API) into ``IncomingMessage``.

External ids: a post is ``wall{owner_id}_{post_id}``, a comment ``wall{owner_id}_{post_id}_c{id}``.
A comment's ``reply_to`` is its post, or, for a reply inside a thread, the thread's root comment.
Each item is parsed on its own: one bad item raises ``MalformedPayload`` for that item only and
the batch parsers collect the reason and keep the rest.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from otklik.domain.messages import Attachment, IncomingMessage, parent_context
from otklik.sources.errors import MalformedPayload, WebhookRejected
from otklik.sources.payload import as_mapping

NETWORK = "vk"
VK = "https://vk.com"

_EXTERNAL_ID = re.compile(r"^wall(-?\d+)_(\d+)(?:_c(\d+))?$")


@dataclass(frozen=True)
class VkRef:
    owner_id: int
    post_id: int
    comment_id: int | None = None


def post_external_id(owner_id: int, post_id: int) -> str:
    return f"wall{owner_id}_{post_id}"


def comment_external_id(owner_id: int, post_id: int, comment_id: int) -> str:
    return f"wall{owner_id}_{post_id}_c{comment_id}"


def parse_external_id(external_id: str) -> VkRef:
    match = _EXTERNAL_ID.match(external_id or "")
    if not match:
        raise MalformedPayload(f"не похоже на идентификатор записи ВКонтакте: {external_id!r}", source=NETWORK)
    owner, post, comment = match.groups()
    return VkRef(int(owner), int(post), int(comment) if comment else None)


def post_url(owner_id: int, post_id: int) -> str:
    return f"{VK}/wall{owner_id}_{post_id}"


def comment_url(owner_id: int, post_id: int, comment_id: int, thread: int | None = None) -> str:
    url = f"{VK}/wall{owner_id}_{post_id}?reply={comment_id}"
    return f"{url}&thread={thread}" if thread else url


def author_url(from_id: int) -> str:
    if from_id > 0:
        return f"{VK}/id{from_id}"
    if from_id < 0:
        return f"{VK}/club{-from_id}"
    return ""


@dataclass
class Names:
    """Display names from ``extended=1`` answers (``profiles`` and ``groups``)."""

    by_id: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> Names:
        names = cls()
        names.update(response)
        return names

    def update(self, response: Mapping[str, Any]) -> None:
        for profile in response.get("profiles") or ():
            if isinstance(profile, Mapping) and "id" in profile:
                full = f"{profile.get('first_name', '')} {profile.get('last_name', '')}".strip()
                self.by_id[int(profile["id"])] = full
        for group in response.get("groups") or ():
            if isinstance(group, Mapping) and "id" in group:
                self.by_id[-abs(int(group["id"]))] = str(group.get("name", ""))

    def get(self, from_id: int) -> str:
        return self.by_id.get(from_id, "")


def _int(item: Mapping[str, Any], key: str, what: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or value is None:
        raise MalformedPayload(f"{what}: нет поля {key!r}", source=NETWORK)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise MalformedPayload(f"{what}: поле {key!r} не число: {value!r}", source=NETWORK) from exc


def _date(item: Mapping[str, Any], what: str) -> datetime | None:
    value = item.get("date")
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload(f"{what}: неверная дата {value!r}", source=NETWORK) from exc


def _largest_photo(photo: Mapping[str, Any]) -> str:
    sizes = [s for s in photo.get("sizes") or () if isinstance(s, Mapping) and s.get("url")]
    if sizes:
        best = max(sizes, key=lambda s: int(s.get("width") or 0) * int(s.get("height") or 0))
        return str(best["url"])
    return str(photo.get("url") or "")


def parse_attachments(items: Iterable[Any] | None) -> tuple[Attachment, ...]:
    result: list[Attachment] = []
    for item in items or ():
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("type", ""))
        body = as_mapping(item.get(kind))
        ident = f"{body.get('owner_id', '')}_{body.get('id', '')}" if body.get("id") else ""
        if kind == "photo":
            result.append(Attachment("photo", _largest_photo(body), body.get("text", "") or "", ident))
        elif kind == "video":
            url = f"{VK}/video{ident}" if ident else ""
            result.append(Attachment("video", url, str(body.get("title", "")), ident))
        elif kind == "doc":
            result.append(Attachment("doc", str(body.get("url", "")), str(body.get("title", "")), ident))
        elif kind == "link":
            result.append(Attachment("link", str(body.get("url", "")), str(body.get("title", ""))))
        elif kind == "audio":
            title = f"{body.get('artist', '')} — {body.get('title', '')}".strip(" —")
            result.append(Attachment("audio", "", title, ident))
        elif kind:
            result.append(Attachment("other", "", kind, ident))
    return tuple(result)


def parse_post(item: Mapping[str, Any], names: Names | None = None) -> IncomingMessage:
    """A wall post (wall.get item, newsfeed.search item or Callback ``wall_post_new`` object)."""
    if not isinstance(item, Mapping):
        raise MalformedPayload(f"запись: ожидался объект, получено {type(item).__name__}")
    owner_id = _int(item, "owner_id", "запись")
    post_id = _int(item, "id", "запись")
    from_id = int(item.get("from_id") or item.get("signer_id") or owner_id)
    text = item.get("text", "")
    if not isinstance(text, str):
        raise MalformedPayload(f"запись {post_id}: поле 'text' не строка", source=NETWORK)
    return IncomingMessage(
        network=NETWORK,
        external_id=post_external_id(owner_id, post_id),
        text=text,
        url=post_url(owner_id, post_id),
        author_name=(names or Names()).get(from_id),
        author_id=str(from_id),
        author_url=author_url(from_id),
        published_at=_date(item, f"запись {post_id}"),
        attachments=parse_attachments(item.get("attachments")),
        raw=dict(item),
    )


def parse_comment(
    item: Mapping[str, Any],
    *,
    owner_id: int,
    post_id: int,
    names: Names | None = None,
    thread_root: int | None = None,
    context: Mapping[str, Any] | None = None,
    change: str = "",
) -> IncomingMessage:
    """One comment of a post; ``thread_root`` is the top-level comment a thread reply sits in;
    ``context`` what the network showed of the parent (the post, or the thread's root comment)."""
    if not isinstance(item, Mapping):
        raise MalformedPayload(f"комментарий: ожидался объект, получено {type(item).__name__}")
    comment_id = _int(item, "id", "комментарий")
    from_id = _int(item, "from_id", f"комментарий {comment_id}")
    text = item.get("text", "")
    if not isinstance(text, str):
        raise MalformedPayload(f"комментарий {comment_id}: поле 'text' не строка", source=NETWORK)
    if thread_root is None:
        stack = item.get("parents_stack") or []
        thread_root = int(stack[0]) if stack else None
    parent = comment_external_id(owner_id, post_id, thread_root) if thread_root else post_external_id(owner_id, post_id)
    raw = {k: v for k, v in item.items() if k != "thread"}
    return IncomingMessage(
        network=NETWORK,
        external_id=comment_external_id(owner_id, post_id, comment_id),
        text=text,
        url=comment_url(owner_id, post_id, comment_id, thread_root),
        author_name=(names or Names()).get(from_id),
        author_id=str(from_id),
        author_url=author_url(from_id),
        published_at=_date(item, f"комментарий {comment_id}"),
        attachments=parse_attachments(item.get("attachments")),
        reply_to=parent,
        raw={**raw, "owner_id": owner_id, "post_id": post_id},
        context=dict(context or {}),
        change=change,
        changed_at=_date(item, f"комментарий {comment_id}") if change else None,
    )


def deleted_comment(item: Mapping[str, Any], *, owner_id: int, post_id: int) -> IncomingMessage:
    """A comment VK shows as ``deleted: true`` (it had replies): a deletion of that comment."""
    comment_id = _int(item, "id", "удалённый комментарий")
    return IncomingMessage(
        network=NETWORK,
        external_id=comment_external_id(owner_id, post_id, comment_id),
        text="",
        change="deleted",
        raw={"id": comment_id, "deleted": True, "owner_id": owner_id, "post_id": post_id},
    )


@dataclass
class Parsed:
    messages: list[IncomingMessage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_wall(response: Mapping[str, Any]) -> Parsed:
    """``wall.get`` response (``extended`` optional)."""
    out = Parsed()
    names = Names.from_response(response)
    for item in _items(response, "wall.get"):
        try:
            out.messages.append(parse_post(item, names))
        except MalformedPayload as exc:
            out.skipped.append(str(exc))
    return out


def parse_comments(
    response: Mapping[str, Any],
    *,
    owner_id: int,
    post_id: int,
    names: Names | None = None,
    context: Mapping[str, Any] | None = None,
) -> Parsed:
    """``wall.getComments`` response with ``thread_items_count``: top-level comments and the
    replies inside their threads, flattened. A deleted comment (``deleted: true``, VK keeps it
    while it has replies) becomes a deletion; the replies in its thread are kept."""
    out = Parsed()
    names = names or Names()
    names.update(response)
    for item in _items(response, "wall.getComments"):
        try:
            if isinstance(item, Mapping) and item.get("deleted"):
                out.messages.append(deleted_comment(item, owner_id=owner_id, post_id=post_id))
                root_context = context
            else:
                top = parse_comment(item, owner_id=owner_id, post_id=post_id, names=names, context=context)
                out.messages.append(top)
                root_context = parent_context("comment", top.external_id, top.text, top.url, top.author_name)
            thread = item.get("thread") or {}
            for reply in thread.get("items") or () if isinstance(thread, Mapping) else ():
                try:
                    if isinstance(reply, Mapping) and reply.get("deleted"):
                        out.messages.append(deleted_comment(reply, owner_id=owner_id, post_id=post_id))
                        continue
                    out.messages.append(
                        parse_comment(
                            reply,
                            owner_id=owner_id,
                            post_id=post_id,
                            names=names,
                            thread_root=int(item["id"]),
                            context=root_context,
                        )
                    )
                except MalformedPayload as exc:
                    out.skipped.append(str(exc))
        except MalformedPayload as exc:
            out.skipped.append(str(exc))
    return out


def parse_newsfeed_search(response: Mapping[str, Any]) -> Parsed:
    """``newsfeed.search`` response: posts from any wall (``post_type`` post/copy/reply)."""
    out = Parsed()
    names = Names.from_response(response)
    for item in _items(response, "newsfeed.search"):
        try:
            out.messages.append(parse_post(item, names))
        except MalformedPayload as exc:
            out.skipped.append(str(exc))
    return out


def _items(response: Mapping[str, Any], method: str) -> list[Any]:
    if not isinstance(response, Mapping):
        raise MalformedPayload(f"{method}: ответ не объект", source=NETWORK)
    items = response.get("items")
    if not isinstance(items, list):
        raise MalformedPayload(f"{method}: в ответе нет списка 'items'", source=NETWORK)
    return items


# --- Callback API -------------------------------------------------------------------------------

CALLBACK_MESSAGE_EVENTS = {
    "wall_post_new",
    "wall_repost",
    "wall_reply_new",
    "wall_reply_edit",
    "wall_reply_restore",
    "wall_reply_delete",
}
_CALLBACK_CHANGE = {"wall_reply_edit": "edited", "wall_reply_restore": "restored", "wall_reply_delete": "deleted"}


def handle_callback(
    payload: Mapping[str, Any], *, confirmation_code: str, secret: str
) -> tuple[str, list[IncomingMessage]]:
    """Handle one Callback API request body. Returns the text to answer with (the confirmation
    code for ``confirmation``, else ``"ok"``) and the messages it carries.

    ``wall_reply_new`` is a new comment; ``wall_reply_edit`` its new version; ``wall_reply_restore``
    brings a deleted comment back; ``wall_reply_delete`` (``owner_id``, ``id``, ``post_id``,
    ``deleter_id``) marks it deleted. Comments and posts of the community itself (``from_id`` equal
    to the wall's owner) are not citizens' messages and are dropped.

    A wrong or missing ``secret`` (when one is configured) raises ``WebhookRejected``; VK retries
    an event until it gets ``ok``, so an event we do not handle still gets ``ok``. A malformed
    object raises ``MalformedPayload`` (answer with an error so VK retries and we can see it)."""
    if not isinstance(payload, Mapping) or "type" not in payload:
        raise MalformedPayload("Callback API: в запросе нет поля 'type'", source=NETWORK)
    event = payload["type"]
    if event == "confirmation":
        return confirmation_code, []
    if secret and not hmac.compare_digest(str(payload.get("secret", "")), secret):
        raise WebhookRejected("Callback API: неверный секретный ключ", source=NETWORK)
    if event not in CALLBACK_MESSAGE_EVENTS:
        return "ok", []
    obj = payload.get("object")
    if not isinstance(obj, Mapping):
        raise MalformedPayload(f"Callback API {event}: нет объекта 'object'", source=NETWORK)
    if event in {"wall_post_new", "wall_repost"}:
        post = parse_post(obj)
        own = post.author_id == str(post.raw.get("owner_id"))
        return "ok", [] if own else [post]
    if event == "wall_reply_delete":
        owner_id = _int(obj, "owner_id", f"Callback API {event}")
        post_id = _int(obj, "post_id", f"Callback API {event}")
        comment_id = _int(obj, "id", f"Callback API {event}")
        deletion = IncomingMessage(
            network=NETWORK,
            external_id=comment_external_id(owner_id, post_id, comment_id),
            text="",
            change="deleted",
            raw=dict(obj),
        )
        return "ok", [deletion]
    owner_id = _int(obj, "post_owner_id", f"Callback API {event}")
    post_id = _int(obj, "post_id", f"Callback API {event}")
    if _int(obj, "from_id", f"Callback API {event}") == owner_id:
        return "ok", []  # the community's own comment (our answers among them)
    context = parent_context("post", post_external_id(owner_id, post_id), url=post_url(owner_id, post_id))
    message = parse_comment(
        obj, owner_id=owner_id, post_id=post_id, context=context, change=_CALLBACK_CHANGE.get(event, "")
    )
    return "ok", [message]
