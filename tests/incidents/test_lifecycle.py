"""The status machine."""

from __future__ import annotations

from warroom.incidents.lifecycle import Status, allowed_moves


def test_forward_moves_and_skips_are_allowed_up_to_resolved():
    assert allowed_moves(Status.triggered) == [
        Status.acknowledged,
        Status.investigating,
        Status.identified,
        Status.monitoring,
        Status.resolved,
    ]
    assert allowed_moves(Status.identified) == [Status.monitoring, Status.resolved]
    assert allowed_moves(Status.monitoring) == [Status.resolved]


def test_resolved_can_reopen_or_close_and_closed_is_final():
    assert allowed_moves(Status.resolved) == [Status.investigating, Status.closed]
    assert allowed_moves(Status.closed) == []


def test_no_status_moves_backwards_except_the_reopen():
    order = list(Status)
    for status in order:
        for target in allowed_moves(status):
            assert order.index(target) > order.index(status) or (
                status is Status.resolved and target is Status.investigating
            )
