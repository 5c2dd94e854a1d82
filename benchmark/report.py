"""Benchmark reports: report.md (tables + figures), metrics.csv, metrics.json and
predictions.csv (every sample's reading, so two runs can be compared sample by sample)."""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from generator import __version__
from generator.io import atomic_write_text
from generator.seeds import BENCHMARK_SEED

from . import plots
from .harness import BenchResult

FIGURES = {
    "accuracy_by_level": "Sequence accuracy by difficulty (95 % Wilson intervals)",
    "accuracy_vs_beam": "Accuracy against beam width",
    "reliability": "Reliability diagram (greedy)",
    "coverage": "Accuracy against coverage (answer only the most confident)",
    "misreads": "Misread samples (truth -> prediction)",
}


def code_version() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=5,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=5,
        ).stdout.strip()
        if rev.returncode == 0:
            return f"captchabench {__version__} ({rev.stdout.strip()}{'+dirty' if dirty else ''})"
    except (OSError, subprocess.SubprocessError):
        pass
    return f"captchabench {__version__}"


def machine() -> str:
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU only"
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, {device}, torch {torch.__version__}"


def table(result: BenchResult) -> pd.DataFrame:
    rows = []
    for lv in result.levels:
        for d in lv.decoders:
            rows.append(
                {
                    "level": lv.level,
                    "decoder": d.decoder,
                    "n": d.n,
                    "seq_acc": d.seq_acc,
                    "seq_acc_lo": d.seq_acc_ci[0],
                    "seq_acc_hi": d.seq_acc_ci[1],
                    "char_acc": d.char_acc,
                    "cer": d.cer,
                    "mean_confidence": d.mean_confidence,
                    "ece": d.ece,
                    "acc_at_80pct_coverage": d.acc_at_coverage["0.80"],
                    "ms_per_image_batch1": d.ms_per_image_batch1,
                    "images_per_s_batched": d.images_per_s_batched,
                    "decode_ms_per_image": d.decode_ms_per_image,
                    "parameters": result.parameters,
                    "evalset_digest": lv.evalset_digest,
                }
            )
    return pd.DataFrame(rows)


def _markdown_table(df: pd.DataFrame) -> str:
    lines = [
        "| level | decoder | n | seq. acc. [95 % CI] | char. acc. | CER | mean conf. | ECE | "
        "acc. @80 % cov. | ms/img (b=1) | img/s (batched) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in df.itertuples():
        lines.append(
            f"| {r.level} | {r.decoder} | {r.n} | **{r.seq_acc:.3f}** [{r.seq_acc_lo:.3f}, "
            f"{r.seq_acc_hi:.3f}] | {r.char_acc:.3f} | {r.cer:.3f} | {r.mean_confidence:.3f} | "
            f"{r.ece:.3f} | {r.acc_at_80pct_coverage:.3f} | {r.ms_per_image_batch1:.2f} | "
            f"{r.images_per_s_batched:,.0f} |"
        )
    return "\n".join(lines)


PREDICTION_COLUMNS = ["level", "index", "text", "decoder", "prediction", "confidence", "correct"]


def predictions(result: BenchResult) -> pd.DataFrame:
    """One row per (level, sample, decoder); ``index`` is the sample's index in its eval set
    (whose digest metrics.json records), so ``render_sample(spec, BENCHMARK_SEED, index)``
    re-renders it alone."""
    rows = [
        (lv.level, index, text, d.decoder, pred, round(conf, 6), pred == text)
        for lv in result.levels
        for d in lv.decoders
        for index, text, pred, conf in zip(
            lv.indices, lv.texts, d.predictions, d.confidences, strict=True
        )
    ]
    return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)


def decoder_sentences(result: BenchResult) -> list[str]:
    """One plain sentence per level: where beam search helps and where it does not."""
    out = []
    for lv in result.levels:
        significant = [c for c in lv.comparisons if c["significant"]]
        better = [c for c in significant if c["only_b_right"] > c["only_a_right"]]
        worse = [c for c in significant if c["only_b_right"] < c["only_a_right"]]
        if not lv.comparisons:
            continue
        if better:
            names = ", ".join(c["b"] for c in better)
            out.append(f"**{lv.level}**: {names} read significantly more than greedy.")
        elif worse:
            names = ", ".join(c["b"] for c in worse)
            out.append(f"**{lv.level}**: {names} read significantly *less* than greedy.")
        else:
            out.append(
                f"**{lv.level}**: no decoder differs significantly from greedy — nothing in these "
                "labels for a beam to exploit."
            )
    return out


def write_report(result: BenchResult, out: Path, command: str, model_path: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    df = table(result)
    atomic_write_text(out / "metrics.csv", df.to_csv(index=False))
    atomic_write_text(out / "predictions.csv", predictions(result).to_csv(index=False))
    provenance = {
        "command": command,
        "code_version": code_version(),
        "machine": machine(),
        "model_path": model_path,
        "model": result.model.get("model"),
        "model_trained_with": result.model.get("train_args", {}).get("extra", {}).get("command"),
        "parameters": result.parameters,
        "benchmark_seed": BENCHMARK_SEED,
        "evalsets": {
            lv.level: {
                "spec_digest": lv.spec_digest,
                "metadata_sha256": lv.evalset_digest,
                "n": lv.n,
            }
            for lv in result.levels
        },
    }
    levels_json = []
    for lv in result.levels:
        decoders = []
        for d in lv.decoders:
            entry = asdict(d)
            entry.pop("predictions")
            entry.pop("confidences")
            decoders.append(entry)
        levels_json.append(
            {
                "level": lv.level,
                "n": lv.n,
                "decoders": decoders,
                "comparisons": lv.comparisons,
                "decode_context": lv.context,
                "read_within_alphabet": lv.alphabet,
                "not_applicable": lv.skipped,
            }
        )
    document = {
        "provenance": provenance,
        "rows": df.to_dict(orient="records"),
        "levels": levels_json,
    }
    atomic_write_text(out / "metrics.json", json.dumps(document, indent=2, default=str) + "\n")

    plots.accuracy_by_level(result, figures / "accuracy_by_level.png")
    plots.accuracy_vs_beam_width(result, figures / "accuracy_vs_beam.png")
    plots.reliability(result, figures / "reliability.png")
    plots.coverage(result, figures / "coverage.png")
    plots.misread_gallery(result, figures / "misreads.png")

    md = ["# captchabench report", "", f"`{command}`", ""]
    md += ["## Results", "", _markdown_table(df), ""]
    md += [
        "Sequence accuracy: exact string match. Character accuracy: mean of 1 − normalised edit",
        "distance (ICDAR 2019). Confidence: P(text | image) summed over CTC alignments. ECE:",
        "10 equal-width bins. ms/img (b=1): forward pass of one image plus decoding.",
        "",
    ]
    model_chars = str(result.model.get("charset") or "")
    within = [
        f"- {lv.level}: read within the style's alphabet ({len(lv.alphabet)} characters; the "
        f"model's {''.join(ch for ch in model_chars if ch not in lv.alphabet) or 'others'} "
        "never answered), as an attacker who has seen a few of its captchas would "
        "(`--alphabet model` reads with all of them)."
        for lv in result.levels
        if lv.alphabet is not None
    ]
    md += [*within, ""] if within else []
    md += ["## Greedy against the other decoders", ""]
    md += [
        "| level | decoders | only greedy right | only other right | McNemar exact p | "
        "accuracy gained per ms | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for lv in result.levels:
        by_name = {d.decoder: d for d in lv.decoders}
        for c in lv.comparisons:
            verdict = "significant" if c["significant"] else "not significant (p ≥ 0.05)"
            a, b = by_name[c["a"]], by_name[c["b"]]
            extra_ms = b.ms_per_image_batch1 - a.ms_per_image_batch1
            per_ms = f"{(b.seq_acc - a.seq_acc) / extra_ms:+.3f}" if extra_ms > 1e-6 else "–"
            md.append(
                f"| {lv.level} | {c['a']} vs {c['b']} | {c['only_a_right']} | "
                f"{c['only_b_right']} | {c['p_value']:.3g} | {per_ms} | {verdict} |"
            )
    md += [""] + [f"- {sentence}" for sentence in decoder_sentences(result)]
    for lv in result.levels:
        if lv.context.get("alpha") is not None:
            md.append(
                f"- {lv.level}: LM weights tuned on {lv.context['lexicon_words']}-word-list "
                f"validation samples (never the evaluation set): alpha {lv.context['alpha']}, "
                f"beta {lv.context['beta']}."
            )
        md += [f"- {lv.level}: {note}" for note in lv.skipped]
    md += ["", "## Accuracy by label length (greedy)", ""]
    lengths = sorted({k for lv in result.levels for k in lv.decoders[0].by_length})
    md.append("| level | " + " | ".join(f"{k} chars" for k in lengths) + " |")
    md.append("|---|" + "---|" * len(lengths))
    for lv in result.levels:
        by = lv.decoders[0].by_length
        cells = [f"{by[k]['accuracy']:.3f} (n={by[k]['n']})" if k in by else "–" for k in lengths]
        md.append(f"| {lv.level} | " + " | ".join(cells) + " |")
    md += ["", "## Top confusions (greedy; ∅ = character dropped or added)", ""]
    for lv in result.levels:
        pairs = ", ".join(f"{a}→{b} ×{n}" for a, b, n in lv.decoders[0].confusions) or "none"
        md.append(f"- **{lv.level}**: {pairs}")
    md += ["", "## Figures", ""]
    for name, title in FIGURES.items():
        md += [f"### {title}", "", f"![{title}](figures/{name}.png)", ""]
    md += ["## Provenance", "", "```json", json.dumps(provenance, indent=2, default=str), "```", ""]
    atomic_write_text(out / "report.md", "\n".join(md))
    return out / "report.md"
