"""``otklik triage`` through Django's call_command (no database needed)."""

from __future__ import annotations

import io
import json

from django.core.management import call_command


def test_triage_command_reads_jsonl_and_writes_one_line_each(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "text": "В Ушмуне нет света с утра"}, ensure_ascii=False) + "\n{bad\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("triage", str(src), stdout=out, stderr=err)
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert rows[0]["topic"] == "power"
    assert rows[0]["places"] == [{"name": "Ушмун", "kind": "selo", "kind_name": "село", "place_id": None}]
    assert rows[1]["line"] == 2


def test_triage_train_writes_a_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "train.jsonl"
    rows = [{"text": f"нет воды {i}", "topic": "water"} for i in range(3)]
    rows += [{"text": f"яма на дороге {i}", "topic": "roads"} for i in range(3)]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    model = tmp_path / "m.pkl"
    call_command("triage", "train", str(src), "--model", str(model), stderr=io.StringIO())
    assert model.exists()
