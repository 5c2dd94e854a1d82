"""Which pretrained readers the wheel carries, and what a name the wheel lacks tells the user."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from crnn import registry

ROOT = Path(__file__).resolve().parent.parent


def test_every_checkout_reader_is_named_once_in_the_wheel_list_or_the_checkout_list():
    # Adding a reader to crnn/pretrained/ without deciding whether the wheel carries it fails here.
    folders = {p.name for p in (ROOT / "crnn" / "pretrained").iterdir() if p.is_dir()}
    named = [*registry.WHEEL_MODELS, *registry.CHECKOUT_MODELS]
    assert len(named) == len(set(named))
    assert folders - {"__pycache__"} == set(named)
    assert registry.DEFAULT_MODEL in registry.WHEEL_MODELS


def test_package_data_ships_exactly_the_wheel_readers():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["crnn"]
    shipped = {
        name
        for name in (*registry.WHEEL_MODELS, *registry.CHECKOUT_MODELS)
        if any(Path(f"pretrained/{name}/model.safetensors").match(p) for p in patterns)
    }
    assert shipped == set(registry.WHEEL_MODELS)
    for name in registry.WHEEL_MODELS:  # the config travels with the weights
        assert any(Path(f"pretrained/{name}/config.json").match(p) for p in patterns)


def _installed_like_a_wheel(tmp_path, monkeypatch):
    """crnn/pretrained as the wheel installs it: the wheel's readers only."""
    pretrained = tmp_path / "pretrained"
    for name in registry.WHEEL_MODELS:
        shutil.copytree(ROOT / "crnn" / "pretrained" / name, pretrained / name)
    monkeypatch.setattr(registry, "PRETRAINED_DIR", pretrained)
    monkeypatch.chdir(tmp_path)  # no folder of a reader's name here either
    return pretrained


def test_a_checkout_reader_asked_of_the_installed_package_says_where_it_is(tmp_path, monkeypatch):
    _installed_like_a_wheel(tmp_path, monkeypatch)
    assert registry.pretrained_names() == sorted(registry.WHEEL_MODELS)
    assert registry.resolve_model("universal").path.name == "universal"
    with pytest.raises(registry.ModelNotFound) as err:
        registry.resolve_model("universal-grey")
    message = str(err.value)
    assert "source checkout" in message and "crnn/pretrained/universal-grey" in message
    assert "\n" not in message
    with pytest.raises(registry.ModelNotFound, match="neither a path nor a pretrained"):
        registry.resolve_model("no-such-reader")


def test_a_checkout_reader_given_by_path_reads_from_an_installed_package(tmp_path, monkeypatch):
    _installed_like_a_wheel(tmp_path, monkeypatch)
    folder = ROOT / "crnn" / "pretrained" / "universal-v5"
    assert registry.resolve_model(str(folder)).path == folder
