"""The few CLI commands the Command action answers, printed as Asterisk 20.20.1 prints them."""

from __future__ import annotations

from ivr.sim.ami.core import AsteriskCore
from ivr.sim.ami.members import STATUS_TEXT, MemberStatus
from ivr.sim.ami.queue import CallQueue

VERSION_LINE = "Asterisk 20.20.1 built by root @ vm on a x86_64 running Linux on 2026-11-22 12:02:28 UTC"


def run_cli(core: AsteriskCore, command: str) -> tuple[bool, list[str]]:
    """(succeeded, output lines) for one CLI command line."""
    words = command.split()
    lowered = [word.lower() for word in words]
    if lowered == ["core", "show", "version"]:
        return True, [VERSION_LINE]
    if lowered[:2] == ["queue", "show"] and len(words) <= 3:
        return True, _queue_show(core, words[2] if len(words) == 3 else None)
    suggestion = " ".join(_closest(words))
    return False, [
        f"No such command '{command}' (type 'core show help {suggestion}' for other possible commands)"
    ]


KNOWN_COMMANDS = (("core", "show", "version"), ("core", "show", "help"), ("queue", "show"))


def _closest(words: list[str]) -> list[str]:
    """cli.c's find_best: the leading words that still lead to some command, and the first that does not.
    A single word always does (Asterisk has the one-word command "!" that a last word may stand for)."""
    taken: list[str] = []
    for word in words:
        taken.append(word)
        if not _leads_somewhere(taken):
            break
    return taken


def _leads_somewhere(prefix: list[str]) -> bool:
    if len(prefix) == 1:
        return True
    *leading, last = [word.lower() for word in prefix]
    for command in KNOWN_COMMANDS:
        if len(command) < len(prefix) or list(command[: len(leading)]) != leading:
            continue
        if command[len(leading)] == last or len(command) == len(prefix):
            return True
    return False


def _queue_show(core: AsteriskCore, name: str | None) -> list[str]:
    """`queue show [name]`; the AMI output of the recorded Asterisk ends with one more empty line."""
    if name is not None:
        queue = core.queue(name)
        if queue is None:
            return [f"No such queue: {name}.", ""]
        return [*_print_queue(core, queue), ""]
    queues = sorted(core.queues.values(), key=lambda q: q.name)
    if not queues:
        return ["No queues.", ""]
    return [line for queue in queues for line in _print_queue(core, queue)] + [""]


def _print_queue(core: AsteriskCore, queue: CallQueue) -> list[str]:
    now = core.clock.epoch_seconds()
    config, stats = queue.config, queue.stats
    maximum = str(config.max_callers) if config.max_callers else "unlimited"
    lines = [
        f"{queue.name} has {len(queue.entries)} calls (max {maximum}) in '{config.strategy}' strategy "
        f"({stats.holdtime}s holdtime, {stats.talktime}s talktime), W:{config.weight}, C:{stats.completed}, "
        f"A:{stats.abandoned}, SL:{stats.service_level_percent():.1f}%, "
        f"SL2:{stats.service_level_percent_with_abandoned():.1f}% within {config.service_level_s}s"
    ]
    if not queue.members:
        lines.append("   No Members")
    else:
        lines.append("   Members: ")
        for member in queue.members:
            text = f"      {member.name}"
            if member.name.lower() != member.interface.lower():
                text += f" ({member.interface})"
            if member.penalty:
                text += f" with penalty {member.penalty}"
            text += " (ringinuse disabled)"
            if member.in_call:
                text += " (in call)"
            if member.paused:
                reason = f":{member.paused_reason}" if member.paused_reason else ""
                text += f" (paused{reason} was {now - member.last_pause} secs ago)"
            text += f" ({STATUS_TEXT[MemberStatus(member.status)]})"
            if member.calls:
                text += f" has taken {member.calls} calls (last was {now - member.last_call} secs ago)"
            else:
                text += " has taken no calls yet"
            text += f" (login was {now - member.login_time} secs ago)"
            lines.append(text)
    if not queue.entries:
        lines.append("   No Callers")
    else:
        lines.append("   Callers: ")
        for position, entry in enumerate(queue.entries, start=1):
            waited = now - entry.joined_at
            wait = f"{waited // 60}:{waited % 60:02d}"
            lines.append(f"      {position}. {entry.channel.name} (wait: {wait}, prio: {entry.priority})")
    lines.append("")
    return lines
