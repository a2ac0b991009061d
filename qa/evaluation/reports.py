"""An evaluation's outputs: text tables, the per-question CSV, TREC qrels and runs, JSON and charts."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.evaluation.metrics import METRICS, Summary, build_qrels
from qa.evaluation.runner import EvalReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# New columns go at the end: scripts read this file by column name or position.
QUESTION_COLUMNS = ("retriever", "id", "language", "kind", "answerable", "first_relevant_rank", "answered",
                    "correctly_cited", "declined", "split", "question", "first_quote_cited")
TABLE_COLUMNS = ("retriever", "scope", "n", *METRICS, "answered", "cited", "declined")
_COLOURS = {"bm25": "#d95f02", "dense": "#7570b3", "hybrid": "#1b9e77"}
# The chart's words; ``labels`` arguments replace any of them (e.g. a user interface's language).
# "ylabel" and "title" (with {source} and {k}) are texts; any other key is a group or retriever
# name ("all", "tr", "bm25", …) and its value is what the chart shows for it.
CHART_LABELS: dict[str, str] = {"ylabel": "score (error bars: 95% bootstrap CI)",
                                "title": "Retrieval on {source} (k={k})"}


# ---------------------------------------------------------------- files


def write_qrels(path: Path, relevant: Mapping[str, Iterable[str]]) -> None:
    """TREC qrels: ``qid 0 docno relevance``."""
    path.write_text("".join(f"{q.query_id} 0 {q.doc_id} {q.relevance}\n" for q in build_qrels(relevant)), "utf-8")


def write_run(path: Path, rankings: Mapping[str, Sequence[str]], tag: str) -> None:
    """TREC run: ``qid Q0 docno rank score tag``, with the rank-derived scores used for evaluation."""
    lines = [
        f"{qid} Q0 {doc} {rank} {len(docs) - rank + 1} {tag}\n"
        for qid, docs in rankings.items()
        for rank, doc in enumerate(docs, start=1)
    ]
    path.write_text("".join(lines), "utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A UTF-8 CSV file with ``header`` as its first row."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def question_rows(report: EvalReport) -> list[list[Any]]:
    """Per-question rows (:data:`QUESTION_COLUMNS`): retriever, id, language, kind, answerable, first
    relevant rank, answered, cited, why it was declined (``off_topic``, ``not_in_report`` or empty),
    the tune/test split, the question text and whether the first quote touches the evidence, so a
    reader can see what failed without the JSONL."""
    rows = []
    for name, r in report.reports.items():
        for o in r.outcomes:
            q = o.question
            rows.append([
                name, q.id, q.lang, q.kind or "", _flag(q.answerable),
                "" if o.first_relevant is None else o.first_relevant,
                _flag(o.answer.answered), "" if o.correctly_cited is None else _flag(o.correctly_cited),
                o.answer.declined or "", q.split, q.question,
                "" if o.first_quote_cited is None else _flag(o.first_quote_cited),
            ])
    return rows


def write_report(report: EvalReport, out: Path) -> list[Path]:
    """Write qrels, one TREC run per retriever, the per-question CSV, the JSON report and the chart."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "qrels.txt"]
    write_qrels(written[0], report.relevant)
    for name, r in report.reports.items():
        path = out / f"run.{name}.txt"
        write_run(path, {o.question.id: [h.passage.chunk_id for h in o.hits] for o in r.outcomes
                         if o.question.answerable}, f"report-qa-{name}")
        written.append(path)
    write_csv(out / "questions.csv", QUESTION_COLUMNS, question_rows(report))
    (out / "report.json").write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    report_chart(report).savefig(out / "metrics.png", dpi=130)
    written += [out / "questions.csv", out / "report.json", out / "metrics.png"]
    return written


# ---------------------------------------------------------------- charts


def metrics_chart(
    groups: Mapping[str, Mapping[str, Summary]], title: str, labels: Mapping[str, str] | None = None
) -> Figure:
    """Bars of every metric per retriever, one panel per group, with 95% intervals as error bars.

    ``labels`` replaces the chart's words by key (see ``CHART_LABELS``); metric names stay as they are.
    """
    words = {**CHART_LABELS, **(labels or {})}
    # Imported here: only chart output needs matplotlib, and it costs a second to import.
    from matplotlib.figure import Figure

    # At most three panels per row, rows filled evenly (four groups make a 2 × 2 grid).
    nrows = math.ceil(len(groups) / 3)
    ncols = math.ceil(len(groups) / nrows)
    fig = Figure(figsize=(max(6.0, 4.6 * ncols), 0.6 + 4.2 * nrows), layout="constrained")
    grid = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    axes = list(grid.flat)
    for ax in axes[len(groups):]:
        ax.set_visible(False)
    for ax, (group, by_retriever) in zip(axes, groups.items(), strict=False):
        names = list(by_retriever)
        width = 0.8 / max(len(names), 1)
        x = np.arange(len(METRICS))
        for j, name in enumerate(names):
            s = by_retriever[name]
            if not s.n:
                continue
            means = np.array([s.means[m] for m in METRICS])
            errors = np.array([[means[i] - s.ci95[m][0], s.ci95[m][1] - means[i]] for i, m in enumerate(METRICS)]).T
            bars = ax.bar(x + (j - (len(names) - 1) / 2) * width, means, width, yerr=errors, capsize=3,
                          label=words.get(name, name), color=_COLOURS.get(name),
                          error_kw={"elinewidth": 0.8, "alpha": 0.7})
            # Inside the bar: above it the label would collide with the error bar.
            ax.bar_label(bars, labels=[f"{v:.2f}" if v >= 0.08 else "" for v in means], label_type="center",
                         fontsize=7, color="white", rotation=90)
        n = max((s.n for s in by_retriever.values()), default=0)
        ax.set_title(f"{words.get(group, group)} (n={n})")
        ax.set_xticks(x, METRICS)
        ax.set_ylim(0, 1.12)
        ax.grid(axis="y", alpha=0.3)
    for row in grid:
        row[0].set_ylabel(words["ylabel"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(len(labels), 1), fontsize=9)
    fig.suptitle(title)
    return fig


def report_chart(report: EvalReport, labels: Mapping[str, str] | None = None) -> Figure:
    """The chart of an evaluation: all questions, then each language, every retriever side by side.

    ``labels`` replaces the chart's words by key (see ``CHART_LABELS``).
    """
    groups: dict[str, dict[str, Summary]] = {"all": {}}
    for name, r in report.reports.items():
        groups["all"][name] = r.overall
        for lang, s in r.by_language.items():
            groups.setdefault(lang, {})[name] = s
    title = {**CHART_LABELS, **(labels or {})}["title"].format(source=Path(report.qset.source).name, k=report.k)
    return metrics_chart(groups, title, labels)


# ---------------------------------------------------------------- text


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with left-aligned first columns and right-aligned numbers."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [
            c.rjust(w) if c[:1].isdigit() or c[:1] in "+-" else c.ljust(w) for c, w in zip(row, widths, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_value(summary: Summary, name: str) -> str:
    """``mean [low,high]`` of metric ``name``, or ``-`` for an empty group."""
    if not summary.n:
        return "-"
    lo, hi = summary.ci95[name]
    return f"{summary.means[name]:.3f} [{lo:.2f},{hi:.2f}]"


def _share(summary: Summary, name: str) -> str:
    return f"{summary.means[name]:.2f}" if summary.n else "-"


def table_rows(report: EvalReport) -> list[list[Any]]:
    """Rows of the comparison table: per retriever, all questions, each language, each kind."""
    rows = []
    for name, r in report.reports.items():
        scopes = [("all", r.overall, r.answers)]
        scopes += [(lang, s, r.answers_by_language[lang]) for lang, s in r.by_language.items()]
        for scope, s, a in scopes:
            rows.append([name, scope, s.n, *(format_value(s, m) for m in METRICS),
                         _share(a.answerable, "answered"), _share(a.answerable, "correctly_cited"),
                         _share(a.unanswerable, "declined")])
        for kind, s in r.by_kind.items():
            rows.append([name, f"kind:{kind}", s.n, *(format_value(s, m) for m in METRICS), "", "", ""])
    return rows


def render_text(report: EvalReport) -> str:
    """The human-readable report: one table for every retriever, then pairs and answers."""
    c = report.config
    lines = [
        f"Evaluation of {c['questions']}: {c['n_questions']} questions ({c['n_answerable']} answerable), "
        f"k={report.k}, {c['passages']} passages, model {c['model']}",
        "Metrics: mean [95% bootstrap CI] over answerable questions. answered/cited: share of answerable "
        "questions; declined: share of unanswerable ones.",
        "",
        format_table(TABLE_COLUMNS, table_rows(report)),
        "",
    ]
    pair_rows = []
    for name, r in report.reports.items():
        p = r.pairs
        if p.tr.n:
            pair_rows += [[name, m, f"{p.tr.means[m]:.3f}", f"{p.en.means[m]:.3f}", f"{p.gap[m]:+.3f}",
                           f"[{p.gap_ci95[m][0]:+.2f},{p.gap_ci95[m][1]:+.2f}]"] for m in ("mrr@10", "hit@5")]
    if pair_rows:
        n = next(iter(report.reports.values())).pairs.tr.n
        lines += [f"Cross-lingual gap on {n} tr/en pairs (gap = tr − en):",
                  format_table(["retriever", "metric", "tr", "en", "gap", "95% CI"], pair_rows), ""]
    decline_rows = [
        [name, kind, s.n, _share(s, "declined"), _share(s, "own_message")]
        for name, r in report.reports.items()
        for kind, s in r.answers.declined_by_kind.items()
    ]
    if decline_rows:
        lines += ["Unanswerable questions declined, by kind:",
                  format_table(["retriever", "kind", "n", "declined", "own message"], decline_rows), ""]
    return "\n".join(lines).rstrip() + "\n"
