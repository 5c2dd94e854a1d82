"""The ``bench human`` web app (Flask): one page, keyboard first, answers stored in SQLite.

People see the same samples the machine benchmark reads: sample ``i`` of a level is
``render_sample(spec, BENCHMARK_SEED, i)``, so human and machine accuracy compare image for image.

    GET  /                             the page (starts or resumes a session from ?session=)
    POST /api/sessions                 start a session -> {"session": id}
    GET  /api/sessions/<id>/next       the next unanswered position, or {"done": true}
    GET  /api/sessions/<id>/image/<k>  the PNG at position k of the session's plan
    POST /api/sessions/<id>/answers    {"position", "answer", "cant_read", "ms"} -> next
"""

from __future__ import annotations

import io
import json

from flask import Flask, Response, jsonify, request

from generator.sample import render_sample
from generator.seeds import BENCHMARK_SEED
from generator.spec import CaptchaSpec

from .store import Answer, HumanStore

MAX_ANSWER = 64  # characters; a captcha answer is never longer
MAX_MS = 10 * 60 * 1000


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def create_app(store: HumanStore, specs: list[CaptchaSpec], per_level: int, seed: int = 0) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 4096  # an answer is a few bytes; refuse floods
    by_name = {s.name: s for s in specs}

    @app.errorhandler(BadRequest)
    def _bad(err: BadRequest):
        return jsonify(error=str(err)), err.status

    @app.errorhandler(413)
    def _too_large(_err):
        return jsonify(error="request too large"), 413

    def plan_of(session_id: str) -> list[tuple[str, int]]:
        plan = store.plan(session_id)
        if plan is None:
            raise BadRequest(404, f"unknown session {session_id!r}")
        return plan

    def next_item(session_id: str) -> dict:
        plan = plan_of(session_id)
        done = store.answered(session_id)
        todo = [k for k in range(len(plan)) if k not in done]
        if not todo:
            return {"done": True, "answered": len(done), "total": len(plan)}
        k = todo[0]
        return {
            "done": False,
            "position": k,
            "answered": len(done),
            "total": len(plan),
            "image": f"/api/sessions/{session_id}/image/{k}",
        }

    @app.get("/")
    def page():
        return Response(PAGE, mimetype="text/html")

    @app.post("/api/sessions")
    def start():
        session_id = store.new_session(list(by_name), per_level, seed)
        return jsonify(session=session_id), 201

    @app.get("/api/sessions/<session_id>/next")
    def next_(session_id: str):
        return jsonify(next_item(session_id))

    @app.get("/api/sessions/<session_id>/image/<int:position>")
    def image(session_id: str, position: int):
        plan = plan_of(session_id)
        if not 0 <= position < len(plan):
            raise BadRequest(404, f"position {position} is not in this session")
        level, index = plan[position]
        buf = io.BytesIO()
        render_sample(by_name[level], BENCHMARK_SEED, index).image.save(buf, format="PNG")
        return Response(buf.getvalue(), mimetype="image/png")

    @app.post("/api/sessions/<session_id>/answers")
    def answer(session_id: str):
        plan = plan_of(session_id)
        try:
            body = json.loads(request.get_data().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise BadRequest(400, "the body must be UTF-8 JSON") from None
        if not isinstance(body, dict):
            raise BadRequest(400, "the body must be a JSON object")
        position, text = body.get("position"), body.get("answer", "")
        cant_read, ms = body.get("cant_read", False), body.get("ms")
        if not isinstance(position, int) or isinstance(position, bool):
            raise BadRequest(400, "position must be an integer")
        if not 0 <= position < len(plan):
            raise BadRequest(400, f"position {position} is not in this session")
        if not isinstance(text, str) or len(text) > MAX_ANSWER:
            raise BadRequest(400, f"answer must be a string of at most {MAX_ANSWER} characters")
        if not isinstance(cant_read, bool):
            raise BadRequest(400, "cant_read must be true or false")
        if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= MAX_MS:
            raise BadRequest(400, "ms must be an integer number of milliseconds")
        level, index = plan[position]
        truth = render_sample(by_name[level], BENCHMARK_SEED, index).text
        store.record(Answer(session_id, position, level, index, truth, text.strip(), cant_read, ms))
        return jsonify(next_item(session_id))

    return app


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>captchabench: read the captchas</title>
<style>
 body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;text-align:center}
 img{image-rendering:auto;height:120px;margin:1rem auto;display:block;border:1px solid #ccc}
 input{font-size:1.6rem;width:12rem;text-align:center;letter-spacing:.2rem}
 button{font-size:1rem;margin:.5rem} #progress{color:#555}
</style></head><body>
<h1>Type the characters you see</h1>
<p id="progress">starting…</p>
<form id="form" autocomplete="off">
 <img id="captcha" alt="captcha">
 <input id="answer" autofocus autocapitalize="characters" spellcheck="false">
 <div><button type="submit" id="submit">Enter ↵</button>
 <button type="button" id="cant">I can't read it</button></div>
</form>
<p id="done" hidden>Done — thank you!</p>
<script>
const params = new URLSearchParams(location.search);
let session = params.get("session"), current = null, shownAt = 0, busy = false;
async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} :
    {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  return r.json();
}
function show(item) {
  document.getElementById("progress").textContent =
    `${item.answered} of ${item.total} answered`;
  if (item.done) {
    document.getElementById("form").hidden = true;
    document.getElementById("done").hidden = false;
    return;
  }
  current = item.position;
  const img = document.getElementById("captcha");
  img.onload = () => { shownAt = performance.now(); busy = false; };
  img.src = item.image;
  const box = document.getElementById("answer");
  box.value = ""; box.focus();
}
async function send(cantRead) {
  if (busy || current === null) return;
  busy = true;
  const ms = Math.round(performance.now() - shownAt);
  show(await api(`/api/sessions/${session}/answers`, {position: current,
    answer: document.getElementById("answer").value, cant_read: cantRead, ms: ms}));
}
document.getElementById("form").addEventListener("submit", e => {
  e.preventDefault(); send(false);
});
document.getElementById("cant").addEventListener("click", () => send(true));
(async () => {
  if (!session) {
    session = (await api("/api/sessions", {})).session;
    history.replaceState(null, "", `?session=${session}`);
  }
  show(await api(`/api/sessions/${session}/next`));
})();
</script></body></html>
"""
