"""The one way to change a case (П.6–20), grouped by the regulation's stages.

Every action is ``case_<verb>(*, case, actor, now, ...)``. What is the same for all of them (a
transaction, the row lock, the tenant and role check, the workflow table, ending and starting
stage deadlines, the state, the ``CaseEvent``, the derived fields, side effects after commit) is
carried out once, in ``contract.transition``, from the rows of ``otklik.domain.workflow.TRANSITIONS``;
each action says only who may, what it validates and what it writes. Views, the API, tasks,
imports and the admin all call these.

Where a point of the regulation is carried out:

====================  ==============================================================
П.6–8, 17             ``detection``: case_detect, case_triage, case_attach_message
П.8–9, 16             ``routing``: case_route, case_accept, case_return, case_contribute
П.11–13               ``drafting``: case_submit_draft, case_resubmit, case_approve, case_return_draft
П.14–15               ``publication``: case_publish, case_publication_failed (the outbox hand-off)
П.18                  ``attachments``: case_attach_file, case_remove_attachment
П.19                  ``refusal``: case_refuse, message_refuse
П.20                  ``comments``: case_comment; ``contract``: the event every action writes
П.7.2, 9, 16          ``assignments``: who works on a case, the lead department, substitutes
П.8–16 (working time) ``deadlines``: case_deadlines_recompute after the calendar changed
====================  ==============================================================

To add an action: give it a member of ``Action``, its words in ``ACTION_VERBS`` and
``ACTION_TITLES`` (and ``web/i18n_titles.py``), and a row of ``TRANSITIONS`` (from which states,
by whom, which stages it closes, the outcomes with what they open and cancel); write
``case_<verb>`` in the module of its point: validate the arguments, then ``with transition(...)
as t:`` write its own rows, ``t.open()`` its stages, set ``t.payload``; export it here; and add a
scenario to ``tests/integration/test_workflow_table.py``, which fails until every declared outcome
has one.
"""

from __future__ import annotations

from otklik.domain.workflow import ACTION_TITLES, ACTION_VERBS

from .attachments import ALLOWED_ATTACHMENT_TYPES, case_attach_file, case_remove_attachment, sniff_content_type
from .comments import case_comment
from .contract import CaseTransition, ContractError, refresh_derived, transition
from .deadlines import RecomputeResult, administration_deadlines_recompute, case_deadlines_recompute
from .detection import TriageData, case_attach_message, case_detect, case_triage
from .drafting import case_approve, case_resubmit, case_return_draft, case_submit_draft
from .publication import case_publication_failed, case_publish, dispatch_publications_with
from .refusal import case_refuse, message_refuse
from .routing import RouteTarget, case_accept, case_contribute, case_return, case_route

__all__ = [
    "ACTION_TITLES",
    "ACTION_VERBS",
    "ALLOWED_ATTACHMENT_TYPES",
    "CaseTransition",
    "ContractError",
    "RecomputeResult",
    "RouteTarget",
    "TriageData",
    "administration_deadlines_recompute",
    "case_accept",
    "case_approve",
    "case_attach_file",
    "case_attach_message",
    "case_comment",
    "case_contribute",
    "case_deadlines_recompute",
    "case_detect",
    "case_publication_failed",
    "case_publish",
    "case_refuse",
    "case_remove_attachment",
    "case_resubmit",
    "case_return",
    "case_return_draft",
    "case_route",
    "case_submit_draft",
    "case_triage",
    "dispatch_publications_with",
    "message_refuse",
    "refresh_derived",
    "sniff_content_type",
    "transition",
]
