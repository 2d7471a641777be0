"""Routing by RACI letter, the URL guard and the retry schedule: pure functions, no HTTP."""

import random
from datetime import timedelta

import pytest

from app.webhooks.delivery import DeliveryPolicy, backoff
from app.webhooks.routing import EVENT_KINDS, EVENT_TYPES, KIND_LETTER, receives, wanting_roles
from app.webhooks.urls import RefusedUrl, check_url

CELLS = {"CIO": "AR", "CMO": "C", "CDO": "CI", "CEO": "I", "COO": "RS"}


@pytest.mark.parametrize(
    ("event_type", "roles"),
    [
        # Escalations go to the Accountable role.
        ("finding.opened", {"CIO"}),
        ("finding.resolved", {"CIO"}),
        ("agreement.disputed", {"CIO"}),
        ("review.overdue", {"CIO"}),
        # Proposals and agreement requests to the Consulted roles.
        ("agreement.requested", {"CMO", "CDO"}),
        ("review.opened", {"CMO", "CDO"}),
        # Changes after the fact to the Informed roles.
        ("cell.changed", {"CDO", "CEO"}),
        ("kpi.status_changed", {"CDO", "CEO"}),
    ],
)
def test_the_routing_table(event_type: str, roles: set[str]) -> None:
    assert wanting_roles(event_type, CELLS) == roles


def test_every_event_type_has_a_kind_and_a_letter() -> None:
    assert set(EVENT_KINDS) == set(EVENT_TYPES)
    assert {KIND_LETTER[kind] for kind in EVENT_KINDS.values()} == {"A", "C", "I"}


def test_no_cells_no_roles_and_unknown_types_want_nobody() -> None:
    assert wanting_roles("cell.changed", {}) == frozenset()
    assert wanting_roles("cell.exploded", CELLS) == frozenset()


def test_unbound_endpoints_get_every_event_of_their_types() -> None:
    assert receives("cell.changed", ["cell.changed"], [], frozenset())
    assert not receives("kpi.status_changed", ["cell.changed"], [], frozenset({"CIO"}))


def test_bound_endpoints_get_what_one_of_their_roles_wants() -> None:
    wanting = wanting_roles("finding.opened", CELLS)
    assert receives("finding.opened", ["finding.opened"], ["CMO", "CIO"], wanting)
    assert not receives("finding.opened", ["finding.opened"], ["CMO"], wanting)
    assert not receives("finding.opened", ["cell.changed"], ["CIO"], wanting)


def _resolver(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[str]:
        if not addresses:
            raise OSError("Name or service not known")
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("http://hooks.example/x", ("10.0.0.5",)),
        ("http://hooks.example/x", ("93.184.216.34", "127.0.0.1")),  # one private is enough
        ("http://hooks.example/x", ("fd00::1",)),
        ("http://hooks.example/x", ("::ffff:192.168.1.1",)),  # IPv4-mapped
        ("http://hooks.example/x", ("100.64.0.1",)),  # carrier-grade NAT
        ("http://hooks.example/x", ()),  # does not resolve
        ("http://127.0.0.1/x", ()),
        ("http://[::]/x", ()),
        ("http://224.0.0.1/x", ()),
        ("gopher://93.184.216.34/x", ()),
        ("https://user:pw@93.184.216.34/x", ()),
        ("http:///x", ()),
        ("http://93.184.216.34:99999/x", ()),
    ],
)
def test_refused_urls(url: str, addresses: tuple[str, ...]) -> None:
    with pytest.raises(RefusedUrl):
        check_url(url, allow_private=False, resolve=_resolver(*addresses))


def test_public_urls_and_allowed_private_ones_pass() -> None:
    check_url("https://hooks.example/x", allow_private=False, resolve=_resolver("93.184.216.34"))
    check_url("https://[2606:4700::1111]/x", allow_private=False)
    check_url("http://127.0.0.1:8080/x", allow_private=True)
    with pytest.raises(RefusedUrl):
        check_url("ftp://127.0.0.1/x", allow_private=True)  # only http(s), allowed or not


def test_backoff_grows_exponentially_with_jitter_up_to_the_maximum() -> None:
    policy = DeliveryPolicy(retry_base_seconds=5, retry_max_seconds=3600)
    low, high = (lambda: 0.0), (lambda: 1.0)
    assert backoff(1, policy, low) == timedelta(seconds=2.5)
    assert backoff(1, policy, high) == timedelta(seconds=5)
    assert backoff(4, policy, high) == timedelta(seconds=40)
    assert backoff(30, policy, high) == timedelta(seconds=3600)
    rng = random.Random(7).random
    waits = {backoff(3, policy, rng) for _ in range(20)}
    assert len(waits) > 1 and all(
        timedelta(seconds=10) <= w <= timedelta(seconds=20) for w in waits
    )
