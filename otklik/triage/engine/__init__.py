"""Pure triage engine for citizens' messages (no Django import).

    from otklik.triage.engine import Triager
    result = Triager.default().analyze("В Широкой третий день нет воды", published_at=dt)

See docs/triage.md for the rules, the data formats and the measured quality.
"""

from .batch import run_jsonl, train_jsonl
from .gazetteer import Gazetteer, PlaceMatch, PlaceRecord
from .importance import Importance
from .model import TopicModel
from .output import ENGINE_VERSION, LineRef, Refs, triage_row
from .repeats import RepeatIndex, RepeatMatch
from .rubric import Rubric, Topic, TopicScore
from .screen import Screen, ScreenLexicon, ScreenResult
from .spikes import SpikeAlert, SpikeDetector
from .triager import TriageConfig, Triager, TriageResult

__all__ = [
    "ENGINE_VERSION",
    "Gazetteer",
    "Importance",
    "LineRef",
    "PlaceMatch",
    "PlaceRecord",
    "Refs",
    "RepeatIndex",
    "RepeatMatch",
    "Rubric",
    "Screen",
    "ScreenLexicon",
    "ScreenResult",
    "SpikeAlert",
    "SpikeDetector",
    "Topic",
    "TopicModel",
    "TopicScore",
    "TriageConfig",
    "TriageResult",
    "Triager",
    "run_jsonl",
    "train_jsonl",
    "triage_row",
]
