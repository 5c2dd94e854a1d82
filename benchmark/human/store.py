"""SQLite store for human answers: one row per answer, safe against double submits, reloads,
killed servers and concurrent people.

WAL mode with ``synchronous=FULL``: an answer acknowledged to the browser survives a killed
server. A session's plan (which level and sample at which position) is fixed when the session
starts, drawn from the run seed and the session number, so a reload or a server restart resumes
exactly where the person stopped. ``(session, position)`` is unique: a double submit stores once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.errors import UserError

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    plan TEXT NOT NULL,               -- JSON list of [level, sample index]
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    position INTEGER NOT NULL,
    level TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    truth TEXT NOT NULL,
    answer TEXT NOT NULL,
    cant_read INTEGER NOT NULL,       -- 1: the person pressed "can't read"
    ms INTEGER NOT NULL,              -- time from the image showing to the answer
    answered_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, position)
);
"""


@dataclass(frozen=True)
class Answer:
    session_id: str
    position: int
    level: str
    sample_index: int
    truth: str
    answer: str
    cant_read: bool
    ms: int


class HumanStoreError(UserError):
    pass


class HumanStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with self._connect() as db:
                db.executescript(SCHEMA)
        except sqlite3.DatabaseError as err:
            raise HumanStoreError(
                f"{path} is not a captchabench answers database ({err})"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return db

    def new_session(self, levels: list[str], per_level: int, seed: int) -> str:
        """A session with its own random order of (level, sample) pairs: sample indices
        0..per_level-1 of every level, shuffled by (seed, session number)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            number = db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM sessions").fetchone()[0]
            rng = np.random.default_rng(np.random.SeedSequence([seed, number]))
            pairs = [[lv, i] for lv in levels for i in range(per_level)]
            plan = [pairs[k] for k in rng.permutation(len(pairs)).tolist()]
            session_id = f"s{number:05d}-{rng.integers(16**8):08x}"
            db.execute(
                "INSERT INTO sessions (number, id, plan, created_ms) VALUES (?, ?, ?, ?)",
                (number, session_id, json.dumps(plan), int(time.time() * 1000)),
            )
            db.execute("COMMIT")
        return session_id

    def plan(self, session_id: str) -> list[tuple[str, int]] | None:
        with self._connect() as db:
            row = db.execute("SELECT plan FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else [tuple(p) for p in json.loads(row[0])]

    def answered(self, session_id: str) -> set[int]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT position FROM answers WHERE session_id = ?", (session_id,)
            ).fetchall()
        return {r[0] for r in rows}

    def record(self, answer: Answer) -> bool:
        """Store an answer; False if that position was already answered (a double submit)."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (answer.session_id, answer.position, answer.level, answer.sample_index,
                 answer.truth, answer.answer, int(answer.cant_read), answer.ms,
                 int(time.time() * 1000)),
            )  # fmt: skip
            return cursor.rowcount == 1

    def answers(self) -> list[Answer]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT session_id, position, level, sample_index, truth, answer, cant_read, ms "
                "FROM answers ORDER BY session_id, position"
            ).fetchall()
        return [Answer(*r[:6], bool(r[6]), r[7]) for r in rows]
