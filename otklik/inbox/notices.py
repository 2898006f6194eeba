"""Who hears that a message already in a case changed in the network (issue 11, §3).

The case's curator (the person who opened the case) and its executors — the assignee of each
active assignment, or the department's executors while nobody has taken it — get one notice per
change, through ``otklik.notify.services.notify`` (in-app, then the channels each person chose).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from otklik.cases.models import Assignment
from otklik.inbox.models import Message, MessageRevision
from otklik.notify.models import Notification
from otklik.notify.services import case_url, department_people, notify

TITLES: dict[str, str] = {
    MessageRevision.Kind.EDITED: gettext_noop("Автор изменил сообщение по обращению № %(number)s"),
    MessageRevision.Kind.DELETED: gettext_noop("Сообщение по обращению № %(number)s удалено в сети"),
    MessageRevision.Kind.RESTORED: gettext_noop("Сообщение по обращению № %(number)s восстановлено в сети"),
}


def case_people(case) -> list[int]:  # type: ignore[no-untyped-def]
    people: list[int] = [case.detected_by_id]
    active = Assignment.objects.filter(case=case).exclude(status__in=Assignment.ENDED)
    for assignment in active:
        if assignment.assignee_id:
            people.append(assignment.assignee_id)
        else:
            people.extend(department_people(assignment.department_id))
    return list(dict.fromkeys(people))


def notify_message_changed(message_id: int, kind: str) -> int:
    message = Message.objects.select_related("case", "administration").filter(pk=message_id).first()
    if message is None or message.case is None or kind not in TITLES:
        return 0
    case = message.case
    title = _(TITLES[kind]) % {"number": case.number}
    if kind == MessageRevision.Kind.EDITED:
        body = _("Новый текст: %(text)s") % {"text": message.text[:1000]}
    elif kind == MessageRevision.Kind.DELETED:
        body = _("Автор или модератор удалил сообщение; его текст сохранён в карточке.")
    else:
        body = _("Сообщение снова видно в сети.")
    created = notify(
        recipients=case_people(case),
        title=title,
        body=body,
        url=case_url(case),
        administration=message.administration,
        case_id=case.pk,
        kind=Notification.Kind.CASE,
        dedupe_key=f"message-{message.pk}-rev-{message.revision_count}",
    )
    return len(created)
