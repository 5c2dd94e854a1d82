"""Which pretrained readers the wheel carries, and what a name the wheel lacks tells the user."""

from __future__ import annotations

import json
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


def test_named_models_describe_each_reader_as_its_config_and_weights_file_say():
    listed = registry.named_models()
    assert [m.name for m in listed] == [*registry.WHEEL_MODELS, *registry.CHECKOUT_MODELS]
    assert [m.name for m in listed if m.default] == [registry.DEFAULT_MODEL]
    for m in listed:
        folder = ROOT / "crnn" / "pretrained" / m.name
        config = json.loads((folder / "config.json").read_text())
        where = "wheel" if m.name in registry.WHEEL_MODELS else "checkout"
        assert m.installed and m.where == where
        assert (m.arch, m.channels, m.width, m.charset) == (
            config["model"]["arch"],
            config["model"].get("channels", 1),
            config["model"]["width"],
            config["model"]["charset"],
        )
        assert m.parameters == config["parameters"]
        assert m.size_bytes == (folder / "model.safetensors").stat().st_size


def test_crnn_models_lists_what_an_installed_wheel_has_and_what_it_lacks(
    tmp_path, monkeypatch, capsys
):
    from conftest import invoke

    from crnn.cli import main

    _installed_like_a_wheel(tmp_path, monkeypatch)
    code, out, err = invoke(main, ["models"], capsys)
    assert code == 0 and err == ""
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert list(lines) == [*registry.WHEEL_MODELS, *registry.CHECKOUT_MODELS]
    assert "(default)" in lines[registry.DEFAULT_MODEL] and "15.6" in lines["universal"]
    for name in registry.CHECKOUT_MODELS:
        assert "source checkout only" in lines[name]
    code, out, _ = invoke(main, ["models", "--json"], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    every = (*registry.WHEEL_MODELS, *registry.CHECKOUT_MODELS)
    assert [r["installed"] for r in rows] == [name in registry.WHEEL_MODELS for name in every]


def test_crnn_models_refuses_a_broken_config_in_one_line(tmp_path, monkeypatch, capsys):
    from conftest import invoke

    from crnn.cli import main

    pretrained = _installed_like_a_wheel(tmp_path, monkeypatch)
    (pretrained / "reference" / "config.json").write_text('{"model": ')
    code, out, err = invoke(main, ["models"], capsys)
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "config.json" in err
