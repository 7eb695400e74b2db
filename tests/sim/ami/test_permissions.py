"""manager.c's permission rules: class lists, the Events value, Privilege text, Originate's app rules."""

from __future__ import annotations

import pytest

from ivr.sim.ami.permissions import ALL, AmiUser, Perm, event_mask, may_originate_application, privilege_text


def test_class_lists_and_all() -> None:
    user = AmiUser("u", "s", read="call,agent", write="originate")

    assert user.read_mask == Perm.CALL | Perm.AGENT
    assert user.write_mask == Perm.ORIGINATE
    assert AmiUser("a", "s").read_mask == ALL


@pytest.mark.parametrize(
    ("value", "mask"),
    [
        ("on", ALL),
        ("yes", ALL),
        ("off", 0),
        ("no", 0),
        ("call", Perm.CALL),
        ("agent,call", Perm.AGENT | Perm.CALL),
        ("2", 2),
        ("", None),
    ],
)
def test_the_events_value(value: str, mask: int | None) -> None:
    assert event_mask(value) == mask


def test_privilege_names_the_classes_and_all() -> None:
    assert privilege_text(Perm.CALL) == "call,all"
    assert privilege_text(Perm.AGENT) == "agent,all"


def test_originate_applications_need_system_for_dangerous_ones() -> None:
    without_system = Perm.ORIGINATE | Perm.CALL

    assert not may_originate_application("System", "true", without_system)
    assert not may_originate_application("TrySystem", "", without_system)
    assert not may_originate_application("Playback", "${SHELL(ls)}", without_system)
    assert not may_originate_application("Queue", "kc,,,,,agi://x", without_system)
    assert may_originate_application("Queue", "kc,,,,,agi://x", without_system | Perm.AGI)
    assert may_originate_application("Playback", "hello-world", without_system)
    assert may_originate_application("System", "true", ALL)
