"""The HTML report in a real browser (headless Chromium): every experiment section is present,
every figure loads (naturalWidth > 0), and a screenshot is not blank."""
import os
import re
import shutil
import subprocess

import pytest

from glasstorch.lab import catalog
from glasstorch.lab.report import build_report

pytestmark = [pytest.mark.slow, pytest.mark.ci]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=10000"]

# appended to a copy of the page: after load, writes what the browser saw into the DOM
PROBE = """<script>window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  var ids = Array.from(document.querySelectorAll('section.exp')).map(function (s) { return s.id; });
  var out = document.createElement('pre'); out.id = 'probe';
  out.textContent = 'IMAGES ' + imgs.length + ' BROKEN ' + bad.length + ' SECTIONS ' + ids.join(',');
  document.body.appendChild(out);
});</script></body>"""


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    return exe


def _browse(exe, tmp_path, *args):
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


def test_report_renders_in_chromium(quick_glasstorch, tmp_path):
    exe = _chromium()
    out = quick_glasstorch["out"]
    page = build_report(out)
    with open(page, encoding="utf-8") as f:
        html = f.read()
    probe_page = os.path.join(out, "probe.html")
    with open(probe_page, "w", encoding="utf-8") as f:
        f.write(html.replace("</body>", PROBE))
    res = _browse(exe, tmp_path, "--dump-dom", "file://" + probe_page)
    m = re.search(r"IMAGES (\d+) BROKEN (\d+) SECTIONS ([^<]*)", res.stdout)
    assert m, f"no probe output from chromium: {res.stderr[-2000:]}"
    images, broken, sections = int(m.group(1)), int(m.group(2)), m.group(3).split(",")
    expected = sorted(quick_glasstorch["records"])
    assert sorted(sections) == expected
    assert images == len(expected) and broken == 0
    # every section carries its parts
    for exp_id in expected:
        block = html.split(f'id="{exp_id}"', 1)[1].split("</section>", 1)[0]
        for part in ("Question.", "Claim in a learner", "Test declared", "Verdict:",
                     "show the code", "<table class=\"numbers\">", f'src="{exp_id}.png"'):
            assert part in block, f"{exp_id}: section lacks {part!r}"
        assert "def " in block, f"{exp_id}: the code block lacks the experiment's source"
    # the index links every topic present
    for topic in {r["topic"] for r in quick_glasstorch["records"].values()}:
        assert f'href="#topic-{topic}"' in html


def test_report_screenshot_is_not_blank(quick_glasstorch, tmp_path):
    exe = _chromium()
    page = build_report(quick_glasstorch["out"])
    shot = tmp_path / "report.png"
    _browse(exe, tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", "file://" + page)
    assert shot.exists(), "chromium wrote no screenshot"
    import matplotlib.image
    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    assert pixels[..., :3].std() > 0.02, "the screenshot is blank"
    # the page is not just white: some share of pixels differ from the background
    assert (pixels[..., :3].mean(axis=2) < 0.9).mean() > 0.01


def test_catalogue_ids_are_unique_and_complete():
    catalog.load()
    assert len(catalog.EXPERIMENTS) == len(set(catalog.EXPERIMENTS))
