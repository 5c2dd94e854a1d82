"""Font lists: faces named by file and SHA-256, found and checked before a single sample renders."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import fontlist
from generator.cli import app
from generator.fontlist import FontListError, resolve_font_list, write_font_list
from generator.fonts import FontError, default_pool, resolve_fonts
from generator.sample import render_sample
from generator.spec import preset


@pytest.fixture
def faces(tmp_path):
    """Two copies of pool faces in a folder of their own, as a machine's font folder would be."""
    folder = tmp_path / "machine-fonts"
    folder.mkdir()
    pool = default_pool()
    paths = []
    for name in ("DejaVuSerif", "DejaVuSansMono-Bold"):
        paths.append(folder / pool[name].name)
        shutil.copy(pool[name], paths[-1])
    return paths


def _write(path, doc):
    path.write_text(json.dumps(doc))
    return str(path)


def test_a_list_resolves_to_its_faces_in_its_order_and_renders_what_the_files_render(
    tmp_path, faces
):
    listed = tmp_path / "faces.json"
    doc = write_font_list(listed, faces[::-1], {faces[0]: "some-package"})
    # The recorded digests are the files' own (an independent hash, not the module's helper).
    assert [f["sha256"] for f in doc["faces"]] == [
        hashlib.sha256(p.read_bytes()).hexdigest() for p in faces[::-1]
    ]
    assert doc["faces"][1]["source"] == "some-package" and "source" not in doc["faces"][0]
    assert resolve_font_list(str(listed)) == tuple(p.resolve() for p in faces[::-1])
    by_list = preset("medium").with_overrides(text={"fonts": (str(listed),)})
    by_files = preset("medium").with_overrides(text={"fonts": tuple(map(str, faces[::-1]))})
    for index in range(12):
        assert (
            render_sample(by_list, 3, index).image.tobytes()
            == render_sample(by_files, 3, index).image.tobytes()
        )


def test_a_face_moved_elsewhere_is_found_by_name_and_digest(tmp_path, faces, monkeypatch):
    listed = tmp_path / "faces.json"
    write_font_list(listed, faces)
    elsewhere = tmp_path / "other-distro"
    elsewhere.mkdir()
    moved = [shutil.move(p, elsewhere / p.name) for p in faces]
    # A same-named file of other bytes comes first: the digest, not the name, picks the face.
    decoy = tmp_path / "decoy" / faces[0].name
    decoy.parent.mkdir()
    decoy.write_bytes(b"not this face")
    monkeypatch.setattr(fontlist, "system_fonts", lambda: (decoy, *map(Path, moved)))
    assert resolve_font_list(str(listed)) == tuple(Path(p) for p in moved)


def test_missing_and_changed_faces_are_refused_naming_them_and_their_packages(
    tmp_path, faces, monkeypatch
):
    monkeypatch.setattr(fontlist, "system_fonts", lambda: ())
    listed = tmp_path / "faces.json"
    write_font_list(listed, faces, {faces[0]: "fonts-dejavu-extra"})
    faces[0].unlink()
    with pytest.raises(
        FontListError,
        match=r"1 of 2 faces are not on this machine "
        r"\(DejaVuSerif.ttf\); they come from fonts-dejavu-extra",
    ):
        resolve_font_list(str(listed))
    changed = tmp_path / "changed.json"
    write_font_list(changed, faces[1:])
    faces[1].write_bytes(faces[1].read_bytes() + b"\0")
    with pytest.raises(
        FontListError,
        match=r"1 of 1 faces on this machine differ from the recorded ones \(DejaVuSansMono-Bold",
    ):
        resolve_font_list(str(changed))
    # Through a spec's fonts, the refusal is a FontError like any other unusable font.
    with pytest.raises(FontError, match="differ"):
        resolve_fonts((str(changed),), "ABC")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "must be a table"),
        ({"format": "x", "version": 1, "faces": []}, "not a captchabench font list"),
        ({"format": fontlist.FORMAT, "version": 1, "faces": []}, "lists no face"),
        (
            {
                "format": fontlist.FORMAT,
                "version": 1,
                "faces": [{"file": "a/b.ttf", "sha256": "0" * 64}],
            },
            "bare file name",
        ),
        (
            {
                "format": fontlist.FORMAT,
                "version": 1,
                "faces": [{"file": "b.ttf", "sha256": "xyz"}],
            },
            "no valid sha256",
        ),
        ({"format": fontlist.FORMAT, "version": 1, "faces": [{"file": "b.ttf"}]}, "sha256"),
    ],
)
def test_malformed_lists_are_one_clear_error(tmp_path, doc, message):
    with pytest.raises(FontListError, match=message):
        resolve_font_list(_write(tmp_path / "bad.json", doc))
    (tmp_path / "junk.json").write_bytes(b"\xff{")
    with pytest.raises(FontListError, match="not UTF-8"):
        resolve_font_list(str(tmp_path / "junk.json"))


def test_cli_lists_named_faces_and_locks_entries(tmp_path, faces):
    runner = CliRunner()
    listing = runner.invoke(app, ["fonts"])
    assert listing.exit_code == 0
    assert "DejaVuSerif " in listing.output and "DroidSansMono" in listing.output
    out = tmp_path / "lock.json"
    locked = runner.invoke(app, ["fonts", str(faces[0].parent), "--lock", str(out)])
    assert locked.exit_code == 0, locked.output
    assert resolve_font_list(str(out)) == tuple(sorted(p.resolve() for p in faces))
    wrong = runner.invoke(app, ["fonts", str(faces[0].parent), "--lock", str(tmp_path / "x.txt")])
    assert wrong.exit_code != 0 and "writes a .json font list" in wrong.output
    assert not (tmp_path / "x.txt").exists()
    none = runner.invoke(app, ["fonts", "--lock", str(out)])
    assert none.exit_code != 0 and "needs the font entries" in none.output


def test_a_changed_face_at_the_recorded_path_gives_way_to_the_right_copy_elsewhere(
    tmp_path, faces, monkeypatch
):
    listed = tmp_path / "faces.json"
    write_font_list(listed, faces[:1])
    right = tmp_path / "elsewhere" / faces[0].name
    right.parent.mkdir()
    shutil.copy(faces[0], right)
    faces[0].write_bytes(faces[0].read_bytes() + b"\0")  # the recorded path now holds other bytes
    monkeypatch.setattr(fontlist, "system_fonts", lambda: (faces[0], right))
    assert resolve_font_list(str(listed)) == (right,)
