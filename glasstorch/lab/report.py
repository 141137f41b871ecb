"""`glasstorch lab report`: one static HTML page from the records in a results folder.

Index by topic, then per experiment: question, claim, declared test, figure, numbers table,
verdict, timings and a "show the code" block with the experiment's own source. The page links the
PNGs next to it (relative paths), so the folder can be copied or served as it is.
"""
import html
import inspect
import os

from . import catalog
from .runner import load_records

__all__ = ["build_report", "flatten"]

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:auto;padding:1em;color:#222}
h2{border-bottom:2px solid #ccc;margin-top:2em} section.exp{border:1px solid #ddd;
border-radius:6px;padding:0.6em 1em;margin:1em 0} .confirmed{background:#e6f4ea}
.refuted{background:#fce8e6} .depends{background:#fef7e0} .missing{background:#eee}
.verdict{padding:0.5em;border-radius:4px} img{max-width:100%;border:1px solid #eee}
table.numbers{border-collapse:collapse;font-size:0.85em} table.numbers td{border:1px solid #ddd;
padding:2px 6px;vertical-align:top} pre{background:#f6f8fa;padding:0.6em;overflow-x:auto;
font-size:0.8em} .badge{font-size:0.8em;padding:1px 6px;border-radius:3px}
.meta{color:#666;font-size:0.85em}
"""


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        inner = ", ".join(_fmt(x) for x in v[:12])
        return "[" + inner + (", ..." if len(v) > 12 else "") + "]"
    return str(v)


def flatten(numbers, prefix=""):
    """Nested dicts of numbers as [(dotted key, value)] rows."""
    rows = []
    for k, v in numbers.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            rows.extend(flatten(v, key + "."))
        else:
            rows.append((key, v))
    return rows


def _source(exp_id):
    try:
        return inspect.getsource(catalog.get(exp_id).fn)
    except (KeyError, OSError, TypeError):
        return "(source not available)"


def _section(rec):
    e = html.escape
    v = rec["verdict"]
    outcome = v["outcome"]
    cond = f" &mdash; depends on: {e(v['condition'])}" if v.get("condition") else ""
    rows = "".join(f"<tr><td>{e(k)}</td><td>{e(_fmt(val))}</td></tr>"
                   for k, val in flatten(rec["numbers"]))
    t = rec["timings"]
    return f"""
<section class="exp" id="{e(rec['id'])}" data-outcome="{outcome}">
<h3>{e(rec['id'])} <span class="badge {outcome}">{outcome}</span></h3>
<p><b>Question.</b> {e(rec['question'])}</p>
<p><b>Claim in a learner's notes.</b> {e(rec['claim'])}</p>
<p><b>Test declared before running.</b> {e(rec['test'])}</p>
<p class="meta">catalogue flag: {e(rec.get('flag') or '(none: believed)')}</p>
<img src="{e(rec['figure'])}" alt="figure of {e(rec['id'])}">
<p class="meta">plot: {e(rec.get('plot', ''))}</p>
<div class="verdict {outcome}"><b>Verdict: {outcome}</b>{cond}. {e(v['text'])}</div>
<details><summary>numbers ({len(flatten(rec['numbers']))} measured)</summary>
<table class="numbers">{rows}</table></details>
<p class="meta">{e(rec['framework'])}{' --quick' if rec['quick'] else ''}, seeds
{e(str(rec['seeds']))}, {t['wall_s']:.1f} s wall / {t['process_s']:.1f} s process time,
{e(rec['started'])}, {e(rec['machine']['platform'])}, {rec['machine']['cpu_count']} cpus</p>
<details class="code"><summary>show the code</summary><pre><code>{e(_source(rec['id']))}</code></pre>
</details>
</section>"""


def build_report(out, path=None):
    """Write `out/index.html` (or `path`) from the records in `out`; returns the path written."""
    records = load_records(out)
    if not records:
        raise FileNotFoundError(f"no lab records in {out!r} (run `glasstorch lab run` first)")
    catalog.load()
    order = {eid: i for i, eid in enumerate(catalog.EXPERIMENTS)}
    by_topic = {}
    for rec in sorted(records.values(), key=lambda r: (r["topic"], order.get(r["id"], 1e9))):
        by_topic.setdefault((rec["topic"], rec["topic_title"]), []).append(rec)
    e = html.escape
    index, body = [], []
    for (num, title), recs in by_topic.items():
        links = ", ".join(f'<a href="#{e(r["id"])}">{e(r["id"])}</a> '
                          f'<span class="badge {r["verdict"]["outcome"]}">'
                          f'{r["verdict"]["outcome"]}</span>' for r in recs)
        index.append(f"<li><a href=\"#topic-{num}\">{num}. {e(title)}</a>: {links}</li>")
        body.append(f'<h2 id="topic-{num}">{num}. {e(title)}</h2>')
        body.extend(_section(r) for r in recs)
    counts = {o: sum(r["verdict"]["outcome"] == o for r in records.values())
              for o in ("confirmed", "refuted", "depends")}
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>glasstorch Lab</title>
<style>{_CSS}</style></head><body>
<h1>glasstorch Lab: learners' questions, answered by measurement</h1>
<p>{len(records)} experiments: {counts['confirmed']} confirmed, {counts['refuted']} refuted,
{counts['depends']} depends. Every verdict is computed from the numbers shown with it; a
difference under twice the seed spread counts as no measurable difference.</p>
<nav><ul id="index">{''.join(index)}</ul></nav>
{''.join(body)}
</body></html>
"""
    path = path or os.path.join(out, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path
