"""Pure triage engine for citizens' messages (no Django import).

    from otklik.triage.engine import Triager
    result = Triager.default().analyze("В Широкой третий день нет воды", published_at=dt)

See docs/triage.md for the rules, the data formats and the measured quality.
"""

from .batch import run_jsonl, train_jsonl
from .gazetteer import Gazetteer, PlaceMatch, PlaceRecord
from .importance import Importance
from .model import TopicModel
from .repeats import RepeatIndex, RepeatMatch
from .rubric import Rubric, Topic, TopicScore
from .screen import Screen, ScreenLexicon, ScreenResult
from .spikes import SpikeAlert, SpikeDetector
from .triager import TriageConfig, Triager, TriageResult

__all__ = [
    "Gazetteer",
    "Importance",
    "PlaceMatch",
    "PlaceRecord",
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
]
