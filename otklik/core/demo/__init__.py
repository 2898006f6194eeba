"""Demo data for ``make run`` and ``otklik demo``: the Gazimuro-Zavodsky okrug with its departments, a
person for each role, the default rubric and gazetteer, sources pointing at the local fake networks,
and a few dozen realistic messages in every state of the workflow — made through the real actions,
at past times, so deadlines, stage facts and the audit trail are all genuine.

- ``data.py``: the administration, departments, people and sources, as data;
- ``messages.py``: the messages, each with the state it is taken to, and the texts written about them;
- ``builder.py``: writes the data and plays each message's scenario through the case actions.
"""

from __future__ import annotations

from .builder import Demo, build_organisation, seed_demo, seed_messages
from .data import DEPARTMENTS, PASSWORD, PEOPLE
from .messages import MESSAGES

__all__ = ["DEPARTMENTS", "MESSAGES", "PASSWORD", "PEOPLE", "Demo", "build_organisation", "seed_demo", "seed_messages"]
