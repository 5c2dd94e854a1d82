"""bench human in a real browser: headless Chromium answers captchas by keyboard, reloads
mid-session, presses "can't read", and the database and report show exactly that.

Chromium and its driver come from Debian's packages (`.ci/run` installs them); where they cannot
be installed the test is skipped with that reason."""

from __future__ import annotations

import shutil
import threading

import pytest

from benchmark.human.app import create_app
from benchmark.human.report import summarise
from benchmark.human.store import HumanStore
from generator.sample import render_sample
from generator.seeds import BENCHMARK_SEED
from generator.spec import preset

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no chromium/chromedriver (apt-get install chromium chromium-driver)",
)


@pytest.fixture
def server(tmp_path):
    from werkzeug.serving import make_server

    store = HumanStore(tmp_path / "h.sqlite")
    app = create_app(store, [preset("easy"), preset("hard")], per_level=2, seed=3)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/", store
    httpd.shutdown()


@pytest.fixture
def browser():
    selenium = pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    del selenium
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def test_a_person_solves_reloads_and_gives_up_once(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    url, store = server
    browser.get(url)
    wait = WebDriverWait(browser, 20)

    def ready(answered: int):
        wait.until(lambda d: f"{answered} of 4 answered" in d.find_element(By.ID, "progress").text)
        wait.until(lambda d: d.execute_script(
            "const i = document.getElementById('captcha'); return i.complete && i.naturalWidth > 0"
        ))  # fmt: skip
        wait.until(lambda d: d.execute_script("return !busy"))

    def truth_now() -> str:
        session = browser.current_url.split("session=")[1]
        plan = store.plan(session)
        position = browser.execute_script("return current")
        level, index = plan[position]
        return render_sample(preset(level), BENCHMARK_SEED, index).text

    ready(0)
    box = browser.find_element(By.ID, "answer")
    assert browser.switch_to.active_element == box  # autofocus: typing needs no click
    box.send_keys(truth_now().lower() + Keys.ENTER)  # Enter submits; case does not matter
    ready(1)
    browser.refresh()  # a reload resumes the same session
    ready(1)
    browser.find_element(By.ID, "answer").send_keys(truth_now() + Keys.ENTER)
    ready(2)
    browser.find_element(By.ID, "cant").click()
    ready(3)
    browser.find_element(By.ID, "answer").send_keys(truth_now() + Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "done").is_displayed())
    answers = store.answers()
    assert len(answers) == 4 and len({a.session_id for a in answers}) == 1
    assert sum(a.cant_read for a in answers) == 1 and all(a.ms > 0 for a in answers)
    levels = summarise(answers)
    assert sum(h.correct for h in levels) == 3
