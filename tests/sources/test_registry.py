import pytest

from otklik.sources.base import Connector, Publisher, RetryPolicy, call_with_retries
from otklik.sources.errors import ConfigurationError, RateLimited, TransientSourceError
from otklik.sources.registry import get_connector


@pytest.mark.parametrize(
    ("network", "config"),
    [
        ("vk", {"token": "t", "group_ids": "1, 2"}),
        ("telegram", {"token": "1:t"}),
        ("ok", {"application_key": "a", "application_secret_key": "b", "access_token": "c"}),
        ("feed", {"url": "http://127.0.0.1:1/rss"}),
    ],
)
def test_registry_builds_connectors_that_follow_the_protocol(network, config):
    connector = get_connector(network, config)
    assert isinstance(connector, Connector)
    if network in ("vk", "telegram", "ok"):
        assert isinstance(connector, Publisher)


def test_missing_token_names_the_source():
    with pytest.raises(ConfigurationError) as error:
        get_connector("telegram", {})
    assert str(error.value).startswith("telegram:")


def test_unknown_network():
    with pytest.raises(ConfigurationError, match="нет коннектора"):
        get_connector("myspace", {})


def test_bad_numbers_in_settings_are_configuration_errors():
    with pytest.raises(ConfigurationError, match="неверные настройки"):
        get_connector("vk", {"token": "t", "group_ids": [1], "window_days": "месяц"})


def test_a_vk_community_is_given_by_id_short_name_or_link():
    connector = get_connector(
        "vk", {"token": "t", "group_ids": "club1, -2, gazzavod_adm, https://vk.com/Gazzavod_Live, public3"}
    )
    assert connector.groups == [1, 2, "gazzavod_adm", "gazzavod_live", 3]
    with pytest.raises(ConfigurationError, match="не похоже на сообщество"):
        get_connector("vk", {"token": "t", "group_ids": ["не сообщество!"]})


def test_back_off_is_exponential_and_bounded(sleeps):
    attempts = []

    def failing():
        attempts.append(1)
        raise TransientSourceError("boom")

    with pytest.raises(TransientSourceError):
        call_with_retries(failing, policy=RetryPolicy(max_attempts=5, base_delay=1, max_delay=3), sleep=sleeps)
    assert len(attempts) == 5 and len(sleeps) == 4
    assert 0.8 <= sleeps[0] <= 1.2 and 1.6 <= sleeps[1] <= 2.4
    assert all(s <= 3.6 for s in sleeps)


def test_rate_limit_retry_after_is_honoured(sleeps):
    calls = iter([RateLimited(retry_after=5), "done"])

    def flaky():
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    assert call_with_retries(flaky, policy=RetryPolicy(), sleep=sleeps) == "done"
    assert sleeps == [5]
