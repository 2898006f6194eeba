"""The Django adapter of the triage engine (П.6, 8, 17, 19, 23), one module per concern.

* ``context`` — ``triager_for(administration)``: the administration's rubric, gazetteer, model
  and topic → departments, cached per process;
* ``messages`` — ``triage_messages(ids)``: suggestions stored on ``Message.triage``;
* ``repeats`` — ``repeat_index_for(administration)``: the index of earlier cases (П.17);
* ``labels`` — ``record_decision(case)`` / ``label_decisions()``: the curator's decisions;
* ``training`` — ``retrain_topic_models()``: each administration's model from its labels;
* ``spikes`` — ``spikes_for(administration, now)``: П.23 heightened activity;
* ``cli`` — ``cli_parts(slug)``: what ``otklik triage`` needs from the database.

The names below are the stable entry points (other apps import them from here).
"""

from __future__ import annotations

from .cli import AdministrationChoiceError, CliParts, cli_parts
from .context import TriageContext, model_path, triager_for
from .labels import LABEL_ACTIONS, label_decisions, record_decision
from .messages import triage_message, triage_messages
from .repeats import build_repeat_index, find_repeat, repeat_index_for
from .spikes import spikes_for
from .training import retrain_topic_model, retrain_topic_models, training_records


def reset_caches() -> None:
    """Forget every cached triager and repeat index (tests; after restoring a database)."""
    from . import context, repeats

    with context.lock:
        context._contexts.clear()
        repeats._indexes.clear()


__all__ = [
    "LABEL_ACTIONS",
    "AdministrationChoiceError",
    "CliParts",
    "TriageContext",
    "build_repeat_index",
    "cli_parts",
    "find_repeat",
    "label_decisions",
    "model_path",
    "record_decision",
    "repeat_index_for",
    "reset_caches",
    "retrain_topic_model",
    "retrain_topic_models",
    "spikes_for",
    "training_records",
    "triage_message",
    "triage_messages",
    "triager_for",
]
