"""bench human: the answers store and the HTTP API (bad requests, double submits, restarts,
two people at once), and the report beside the machine."""

from __future__ import annotations

import json
import sqlite3

import pytest

from benchmark.human.app import create_app
from benchmark.human.report import summarise, write_human_report
from benchmark.human.store import HumanStore, HumanStoreError
from generator.sample import render_sample
from generator.seeds import BENCHMARK_SEED
from generator.spec import preset

SPECS = [preset("easy"), preset("medium")]


@pytest.fixture
def client(tmp_path):
    store = HumanStore(tmp_path / "h.sqlite")
    return create_app(store, SPECS, per_level=3, seed=1).test_client(), tmp_path / "h.sqlite"


def truth(level: str, index: int) -> str:
    return render_sample(preset(level), BENCHMARK_SEED, index).text


def start(c) -> str:
    response = c.post("/api/sessions")
    assert response.status_code == 201
    return response.get_json()["session"]


def test_a_session_walks_its_plan_and_stores_one_row_per_answer(client):
    c, db = client
    sid = start(c)
    item = c.get(f"/api/sessions/{sid}/next").get_json()
    assert item["total"] == 6 and item["answered"] == 0
    png = c.get(item["image"])
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"
    plan = HumanStore(db).plan(sid)
    seen = []
    while not item["done"]:
        level, index = plan[item["position"]]
        seen.append((level, index))
        body = {"position": item["position"], "answer": truth(level, index).lower(), "ms": 1500}
        item = c.post(f"/api/sessions/{sid}/answers", json=body).get_json()
    assert sorted(seen) == sorted((lv.name, i) for lv in SPECS for i in range(3))
    rows = sqlite3.connect(db).execute("SELECT session_id, level, truth, answer, ms FROM answers")
    rows = rows.fetchall()
    assert len(rows) == 6 and all(r[0] == sid and r[4] == 1500 for r in rows)
    levels = summarise(HumanStore(db).answers())
    assert [(h.level, h.accuracy) for h in levels] and all(h.accuracy == 1.0 for h in levels)


def test_double_submit_reload_restart_and_two_people(client, tmp_path):
    c, db = client
    a, b = start(c), start(c)
    assert a != b and HumanStore(db).plan(a) != HumanStore(db).plan(b)
    first = c.get(f"/api/sessions/{a}/next").get_json()["position"]
    body = {"position": first, "answer": "X", "ms": 900}
    c.post(f"/api/sessions/{a}/answers", json=body)
    again = c.post(f"/api/sessions/{a}/answers", json={**body, "answer": "Y"})  # double submit
    assert again.status_code == 200
    # A new server on the same database (a restart) resumes the session where it stopped.
    restarted = create_app(HumanStore(db), SPECS, per_level=3, seed=1).test_client()
    item = restarted.get(f"/api/sessions/{a}/next").get_json()
    assert item["answered"] == 1 and item["position"] != first
    assert restarted.get(f"/api/sessions/{b}/next").get_json()["answered"] == 0
    answers = HumanStore(db).answers()
    assert [(x.session_id, x.answer) for x in answers] == [(a, "X")]  # the first submit kept


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/api/sessions/nope/next", None, 404, "unknown session"),
        ("/api/sessions/nope/answers", {"position": 0, "ms": 1}, 404, "unknown session"),
        ("SID/answers", {"position": 99, "ms": 1}, 400, "not in this session"),
        ("SID/answers", {"position": -1, "ms": 1}, 400, "not in this session"),
        ("SID/answers", {"position": "0", "ms": 1}, 400, "position must be an integer"),
        ("SID/answers", {"position": 0, "answer": "A" * 65, "ms": 1}, 400, "at most 64"),
        ("SID/answers", {"position": 0, "answer": "A", "ms": -5}, 400, "milliseconds"),
        ("SID/answers", {"position": 0, "cant_read": "yes", "ms": 5}, 400, "true or false"),
        ("SID/answers", b"\xff\xfe not utf-8", 400, "UTF-8 JSON"),
        ("SID/answers", b"[1, 2]", 400, "JSON object"),
        ("SID/answers", b"x" * 10_000, 413, "too large"),
        ("SID/image/77", None, 404, "not in this session"),
    ],
)
def test_bad_requests_are_clear_4xx(client, path, body, status, message):
    c, _ = client
    sid = start(c)
    url = path.replace("SID", f"/api/sessions/{sid}")
    if body is None:
        response = c.get(url)
    elif isinstance(body, bytes):
        response = c.post(url, data=body, content_type="application/json")
    else:
        response = c.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_report_sets_people_beside_the_machine(client, tmp_path):
    c, db = client
    sid = start(c)
    plan = HumanStore(db).plan(sid)
    for k, (level, index) in enumerate(plan):
        right = level == "easy" or k % 2 == 0
        body = {"position": k, "answer": truth(level, index) if right else "?", "ms": 1000 + k,
                "cant_read": not right}  # fmt: skip
        c.post(f"/api/sessions/{sid}/answers", json=body)
    report = write_human_report(db, tmp_path / "r", {"easy": 0.99, "medium": 0.8})
    text = report.read_text()
    assert "| easy | 3 | 1 | 1.000" in text and "frontier.png" in text
    doc = json.loads((tmp_path / "r" / "human.json").read_text())
    medium = next(h for h in doc["levels"] if h["level"] == "medium")
    assert medium["cant_read_rate"] == pytest.approx(1 - medium["accuracy"])
    (tmp_path / "notdb").write_text("hello")
    with pytest.raises(HumanStoreError):
        HumanStore(tmp_path / "notdb")


def test_bench_run_adds_the_human_rows(client, tmp_path, capsys):
    from conftest import invoke, tiny

    from benchmark.cli import main as bench_main
    from crnn.train import train

    c, db = client
    sid = start(c)
    for k, (level, index) in enumerate(HumanStore(db).plan(sid)):
        c.post(f"/api/sessions/{sid}/answers",
               json={"position": k, "answer": truth(level, index), "ms": 800})  # fmt: skip
    train(tiny(out=tmp_path / "m", steps=2, val_every=2))
    argv = ["run", "-d", "easy,medium", "--n", "6", "--decoders", "greedy", "--model",
            str(tmp_path / "m"), "--human", str(db), "-o", str(tmp_path / "r")]  # fmt: skip
    code, _, err = invoke(bench_main, argv, capsys)
    assert code in (0, None), err
    assert "## People" in (tmp_path / "r" / "report.md").read_text()
    human = (tmp_path / "r" / "human.md").read_text()
    assert "| easy | 3 | 1 | 1.000" in human and (tmp_path / "r" / "frontier.png").exists()
