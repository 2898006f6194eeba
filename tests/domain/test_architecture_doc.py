"""docs/architecture.md names real modules and every import-linter contract: a renamed or moved
module, or a new contract, fails here until the page follows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PATH = re.compile(r"(?<![\w/.])otklik/[\w/]*(?:\.py)?")


def test_every_module_path_the_page_names_exists() -> None:
    paths = sorted(set(PATH.findall(DOC.read_text(encoding="utf-8"))))
    assert len(paths) > 40  # the flow names a module for every step
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == []
    # A folder is named as a folder (with its slash), a module with its suffix.
    assert [p for p in paths if (ROOT / p).is_dir() != p.endswith("/")] == []


def test_the_page_lists_every_contract_of_make_check() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["tool"]["importlinter"]["contracts"]]
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## The contracts") :]
    listed = [row.split("|")[1].strip() for row in section.splitlines() if row.startswith("| ") and "---" not in row]
    listed = [name for name in listed if name != "Contract"]
    assert len(listed) == len(names)
    assert all(any(n.startswith(short) for n in names) for short in listed), (listed, names)
