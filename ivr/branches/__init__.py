"""The branches of the voice menu, one module each; a module here is a branch.

Adding a branch is adding a module that defines ``branch = Branch(...)`` (with its menu
key, its routes and the prompts it speaks) and its texts in ``prompts.toml``.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable

from twilio.twiml.voice_response import VoiceResponse

from ivr.branch import Branch
from ivr.turn import Turn


@functools.cache
def all_branches() -> tuple[Branch, ...]:
    """The main menu and every branch module in this package, in name order."""
    from ivr import menu

    found = [menu.branch]
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name):
        found.append(importlib.import_module(f"{__name__}.{module.name}").branch)
    return tuple(found)


@functools.cache
def by_key() -> dict[str, Callable[[Turn], VoiceResponse]]:
    """What each main-menu key starts."""
    return {b.key: b.start for b in all_branches() if b.key is not None and b.start is not None}


def required_prompts() -> dict[str, frozenset[str]]:
    """Every prompt the voice menu speaks, with the placeholders each one fills in."""
    from ivr.prompts import COMMON

    required = dict(COMMON)
    for branch in all_branches():
        required |= branch.required_prompts()
    return required
