"""The built-in advice checks, registered once: the ruleset loader accepts their codes,
evaluate asks each whether it applies, and `rules explain` says when each is given.

A check reads the per-trainee facts that evaluate gathers in grouped passes (AdviceFacts);
it never looks at a table itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the type checker only: evaluate and ruleset import this module
    from .evaluate import AdviceFacts
    from .ruleset import Advice


@dataclass(frozen=True)
class BuiltIn:
    """One built-in check: when it is given, in words, and the test itself."""

    # for `rules explain`; may name the advice's {min_days} and {max_trainees_present}
    explained: str
    applies: Callable[[AdviceFacts, str, dict, Advice], bool]


def _supervisors(f: AdviceFacts, t: str, trainee: dict) -> set[str]:
    """The trainee's supervisors: the register's and any in their supervision rows."""
    found = set(f.supervisors.get(t, set()))
    if trainee["supervisor"]:
        found.add(trainee["supervisor"])
    return found


def _single_setting(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    # Blank settings say nothing: all blank gives no advice (docs/rulesets.md#advice).
    return len(f.leading_settings.get(t, ())) == 1


def _solo_leading_only(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    return f.leader_sessions.get(t, 0) > 0 and not f.co_sessions.get(t, 0) > 0


def _no_accredited_coleader(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    return f.co_sessions.get(t, 0) > 0 and f.co_leaders.get(t, set()).isdisjoint(
        f.accredited_co_leaders
    )


def _no_two_day_event(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    days = f.event_days.get(t, [])
    return bool(days) and max(days) < advice.min_days


def _no_supervision(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    return t in f.leading_trainees and f.supervision_count.get(t, 0) == 0


def _ineligible_supervisor(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    return t in f.ineligible


def _large_supervision_group(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    return f.max_present.get(t, 0) > advice.max_trainees_present


def _coleader_not_in_supervision(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    supervisors = _supervisors(f, t, trainee)
    outsiders = {
        c for c in f.co_leaders.get(t, set()) if c.removeprefix("leader:") not in supervisors
    }
    return f.supervision_count.get(t, 0) > 0 and bool(outsiders) and t not in f.co_leader_joined


def _signoff_not_by_supervisor(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    return t in f.outside_signoffs


def _triangulation_missing(f: AdviceFacts, t: str, trainee: dict, advice: Advice) -> bool:
    co_leaders = f.co_leaders.get(t, set())
    co_leading = {s for s in _supervisors(f, t, trainee) if f"leader:{s}" in co_leaders}
    overseer = trainee["supervisor_overseen_by"]
    return any(not overseer or overseer == s or overseer not in f.accredited for s in co_leading)


BUILT_IN: dict[str, BuiltIn] = {
    "single_setting": BuiltIn(
        "the trainee leads or co-leads, and every setting written for those sessions is the "
        "same one",
        _single_setting,
    ),
    "solo_leading_only": BuiltIn(
        "the trainee has sessions as leader but none as co-leader", _solo_leading_only
    ),
    "no_accredited_coleader": BuiltIn(
        "the trainee has co-led, but never with an accredited leader", _no_accredited_coleader
    ),
    "no_two_day_event": BuiltIn(
        "the trainee has been to a leadership event, but none of {min_days} days or more",
        _no_two_day_event,
    ),
    "no_supervision": BuiltIn(
        "the trainee leads or co-leads, but has no supervision recorded at all", _no_supervision
    ),
    "ineligible_supervisor": BuiltIn(
        "a supervision session was with someone not recorded as an accredited leader "
        "experienced in supervision",
        _ineligible_supervisor,
    ),
    "large_supervision_group": BuiltIn(
        "a supervision session had more than {max_trainees_present} trainees present",
        _large_supervision_group,
    ),
    "coleader_not_in_supervision": BuiltIn(
        "the trainee co-leads with someone who is not one of their supervisors, and that "
        "co-leader has never joined their supervision",
        _coleader_not_in_supervision,
    ),
    "signoff_not_by_supervisor": BuiltIn(
        "a competency was signed off only by someone who is neither an eligible supervisor "
        "nor one of the trainee's supervisors",
        _signoff_not_by_supervisor,
    ),
    "triangulation_missing": BuiltIn(
        "the trainee co-leads with their own supervisor, and no other accredited leader is "
        "recorded as overseeing that supervisor",
        _triangulation_missing,
    ),
}
