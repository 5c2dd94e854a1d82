import shutil

import pytest
from fontTools.ttLib import TTFont

from generator.fonts import FontError, default_pool, missing_glyphs, resolve_fonts
from generator.sample import render_sample
from generator.spec import preset


def test_default_pool_has_at_least_eight_typefaces_covering_alnum():
    pool = default_pool()
    families = set()
    for path in pool.values():
        with TTFont(str(path), lazy=True) as font:
            families.add(font["name"].getDebugName(1).split()[0].rstrip("0123456789"))
    # Droid, DejaVu Sans / Mono / Serif, STIXGeneral, cm r/b/ss/tt: count faces, not files
    assert len(pool) >= 8
    assert len({p.name.split("-")[0] for p in pool.values()}) >= 8, families
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    choice = resolve_fonts((), chars)
    assert len(choice.paths) == len(pool)
    assert not choice.dropped


def test_font_lacking_glyphs_is_dropped_and_none_left_is_an_error():
    pool = default_pool()
    # DroidSansMono has no Greek capital Omega? check with the real cmap first
    greek = "ΩΣ"
    cover = [name for name, p in pool.items() if not missing_glyphs(p, greek)]
    lacking = [name for name, p in pool.items() if missing_glyphs(p, greek)]
    assert cover and lacking
    choice = resolve_fonts(tuple(pool), greek)
    assert {str(pool[n]) for n in cover} == set(choice.paths)
    assert {p for p, _ in choice.dropped} == {str(pool[n]) for n in lacking}
    with pytest.raises(FontError, match="no font covers"):
        resolve_fonts(tuple(lacking), greek)


def test_user_font_files_and_folders(tmp_path):
    src = default_pool()["DejaVuSerif"]
    shutil.copy(src, tmp_path / "Mine.ttf")
    by_file = resolve_fonts((str(tmp_path / "Mine.ttf"),), "ABC")
    by_dir = resolve_fonts((str(tmp_path),), "ABC")
    assert by_file.paths == by_dir.paths == (str(tmp_path / "Mine.ttf"),)
    spec = preset("easy").with_overrides(text={"fonts": (str(tmp_path),)})
    assert render_sample(spec, 0, 0).image.size == (160, 60)


def test_missing_font_is_a_clear_error(tmp_path):
    with pytest.raises(FontError, match="neither a file, a folder"):
        resolve_fonts(("/no/such/font.ttf",), "ABC")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FontError, match="holds no"):
        resolve_fonts((str(tmp_path / "empty"),), "ABC")
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    with pytest.raises(FontError, match="cannot read font"):
        resolve_fonts((str(bogus),), "ABC")
