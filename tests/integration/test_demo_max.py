"""The demo administration has a MAX source (issue 11 §5): it points at the local MAX fake that
`otklik serve --dev` (`make run`) starts with the demo's data, and polling it collects the
residents' comments under the channel's post."""

from __future__ import annotations

import sys

import pytest
from django.core.management import call_command

from otklik.inbox.models import Message, Source
from otklik.sources import polling
from otklik.sources.max.fake import DEMO_TOKEN, FakeMax, seed_demo

pytestmark = pytest.mark.django_db


def test_the_demo_max_source_is_served_by_the_fake_and_collects_its_messages() -> None:
    from otklik.core.management.commands.serve import _fake_servers

    call_command("demo")
    source = Source.objects.get(kind=Source.Kind.MAX)
    assert source.token == DEMO_TOKEN and source.enabled
    assert "otklik.sources.max.fake" in {argv[2] for _name, argv, _port in _fake_servers(sys.executable)}
    with FakeMax(token=DEMO_TOKEN) as fake:
        seed_demo(fake)
        Source.objects.filter(pk=source.pk).update(base_url=fake.url)
        source.refresh_from_db()
        assert polling.check_source(source) is None
        result = polling.poll_source(source)
        assert result.ok, result.error
    comment = Message.objects.get(source=source, text="А в Кактолге приём будет?")
    assert comment.author_name == "Нина Бянкина"
    assert comment.context["parent"]["text"] == "Администрация: график приёма граждан на декабрь"
