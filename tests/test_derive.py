"""The steps crnn widen and crnn interpolate share (crnn.derive), through both commands."""

from __future__ import annotations

import pytest

from crnn.cli import main as crnn_main


@pytest.mark.parametrize(
    "argv",
    [
        ["widen", "medium", "-o", "{out}", "--model", "{onnx}"],
        ["interpolate", "{onnx}", "--model", "{onnx}", "--alpha", "0.5", "-o", "{out}"],
    ],
)
def test_an_onnx_source_is_refused_in_one_line_and_nothing_is_written(argv, tmp_path, capsys):
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"not read: refused by its kind before any byte is")
    out = tmp_path / "out"
    args = [a.format(out=out, onnx=onnx) for a in argv]
    with pytest.raises(SystemExit) as exit_info:
        crnn_main(args)
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code != 0
    assert len(err.splitlines()) == 1 and "safetensors models, not ONNX exports" in err
    assert not out.exists()
