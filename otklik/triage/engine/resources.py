"""Offline model files shipped inside the installed ``natasha`` wheel, loaded lazily.

``natasha`` itself is never imported: it pulls in pymorphy2, which breaks on Python 3.11. We only
locate its package directory with ``importlib.util.find_spec`` (which does not execute the
package) and load the navec embeddings and the slovnet NER model from the files it ships.
Nothing is ever downloaded.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import threading
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

NAVEC_FILE = "emb/navec_news_v1_1B_250K_300d_100q.tar"
NER_FILE = "model/slovnet_ner_news_v1.tar"

_lock = threading.Lock()


class ResourceUnavailable(RuntimeError):
    pass


def natasha_data_dir() -> Path:
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        raise ResourceUnavailable("пакет natasha не установлен")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@functools.lru_cache(maxsize=1)
def navec() -> Any:
    """navec word vectors (300-d, 250k words); ~0.5 s and ~50 MB on first use."""
    with _lock:
        from navec import Navec

        path = natasha_data_dir() / NAVEC_FILE
        if not path.exists():
            raise ResourceUnavailable(f"нет файла {path}")
        return Navec.load(str(path))


@functools.lru_cache(maxsize=1)
def ner() -> Any:
    """slovnet NER (PER/LOC/ORG) bound to the navec vectors."""
    with _lock:
        from slovnet import NER

        path = natasha_data_dir() / NER_FILE
        if not path.exists():
            raise ResourceUnavailable(f"нет файла {path}")
        model = NER.load(str(path))
    model.navec(navec())
    return model


def load_records(path: str | Path, key: str) -> list[Any]:
    """Records from ``.toml`` (``[[key]]`` tables) or ``.json`` (a list, or ``{key: [...]}``)."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    data: Any = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    return list(data.get(key, []) if isinstance(data, dict) else data)


def shipped_records(name: str, key: str) -> list[Any]:
    """The records of a data file shipped in ``otklik/triage/engine/data``."""
    text = files("otklik.triage.engine").joinpath("data", name).read_text("utf-8")
    return list(tomllib.loads(text)[key])
