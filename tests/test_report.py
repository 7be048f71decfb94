"""`ponder plot` and `ponder report` on a real run; the report is opened in headless Chromium.

The Chromium check needs a `chromium` binary. `.ci/run` installs Debian's
and sets PONDER_REQUIRE_CHROMIUM=1, so in CI a missing browser fails instead
of skipping. The screenshot goes to `test-artifacts/report.png`.
"""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import ponder
from tests.conftest import EXAMPLES, ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
CHECK_SCRIPT = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.querySelectorAll("figure img")).map(img => ({
    id: img.closest("figure").id, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight}));
  const out = document.createElement("pre");
  out.id = "render-check";
  out.textContent = JSON.stringify(images);
  document.body.appendChild(out);
});
</script>
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "results.nc"
    model = ponder.load(EXAMPLES / "randomwalk" / "randomwalk.model")
    model.sample(samples=40, warmup=40, chains=8, particles="64", seed=5, out=out)
    return out


def _row(html, label):
    """The value cell of the settings or resources row ``label``, or None."""
    found = re.search(rf"<tr><td>{re.escape(label)}</td><td>(.*?)</td></tr>", html)
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def deterministic():
    """A run that leaves the warm-up, chains, workers and likelihood to ponder."""
    model = ponder.load(EXAMPLES / "straightwalk" / "straightwalk.model")
    return model.sample(samples=20, seed=3)


def test_settings_show_the_values_used_not_default(deterministic):
    from ponder.report import render_report

    idata = deterministic
    asked = json.loads(idata.posterior.attrs["settings"])
    assert asked["chains"] is None and asked["workers"] is None  # left to the sampler and the executor
    html = render_report(idata)
    assert "(default)" not in html
    assert _row(html, "chains") == str(idata.posterior.sizes["chain"])
    assert _row(html, "warmup") == str(idata.posterior.attrs["warmup"])
    assert _row(html, "likelihood") == "direct (auto)"
    assert _row(html, "workers") == "1 (the estimates were too short for threads to pay)"  # microsecond likelihood
    assert _row(html, "executor") == "auto"
    assert _row(html, "seed") == "3" and _row(html, "options") == "none"
    # no particle filter: no particles, resampling or final-particles rows
    for label in ("particles", "resampling", "final particles"):
        assert _row(html, label) is None, label
    assert "null" not in html


def test_the_report_shows_the_run_warnings(deterministic):
    import html as html_module

    from ponder.report import render_report
    from ponder.runtime.convergence import run_warnings

    warnings = run_warnings(deterministic)
    assert warnings and warnings[0].startswith("not converged")  # 20 draws per chain cannot reach ESS 400
    page = render_report(deterministic)
    for line in warnings:
        assert f'<p class="warning">warning: {html_module.escape(line)}</p>' in page
    assert "R-hat is above 1.05" not in page


def test_settings_of_a_particle_filter_run(results):
    from ponder.report import settings_used
    from ponder.runtime.arviz_io import read

    used = settings_used(read(results))
    assert used["particles"] == "64" and used["final particles"] == "64"
    assert used["resampling"] == "systematic"  # the filter's default, not "(default)"
    assert used["chains"] == 8 and used["likelihood"] == "pf (auto)"


def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("PONDER_REQUIRE_CHROMIUM") == "1":
            pytest.fail("chromium is required here (PONDER_REQUIRE_CHROMIUM=1) but not installed")
        pytest.skip("no chromium on this machine (CI installs it)")
    return found


def test_report_is_self_contained_and_complete(results, ponder_cli, tmp_path):
    report = tmp_path / "report.html"
    done = ponder_cli("report", results, "--out", report)
    assert done.returncode == 0, done.stderr
    html = report.read_text()
    assert "model randomwalk" in html and "observe position ~ Normal(position, sigma)" in html  # the source
    for name in ("origin", "drift", "sigma", "ess_bulk", "r_hat", "sampling time (s)", "peak memory", "seed"):
        assert name in html
    kinds = re.findall(r'<figure id="figure-(\w+)">', html)
    assert set(kinds) >= {"trace", "pair", "predictive", "latent", "pf", "sampler", "qq"}
    # self-contained: no external resources and no scripts
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert "<script" not in html


def test_report_renders_every_figure_in_chromium(results, ponder_cli, tmp_path):
    browser = chromium()
    report = tmp_path / "report.html"
    assert ponder_cli("report", results, "--out", report).returncode == 0
    html = report.read_text()
    harness = tmp_path / "harness.html"
    harness.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"))
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom",
         harness.as_uri()], capture_output=True, text=True, timeout=180,
    )
    found = re.search(r'<pre id="render-check">(.*?)</pre>', dom.stdout, re.S)
    assert found, f"chromium printed no render check; stderr: {dom.stderr[-2000:]}"
    images = json.loads(found.group(1).replace("&quot;", '"'))
    assert len(images) == len(re.findall(r"<figure ", html)) >= 7
    for image in images:
        assert image["complete"] and image["width"] >= 400 and image["height"] >= 200, image

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2400",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=180)
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1280)
    assert np.std(pixels[..., :3]) > 0.05  # not a blank page


def test_plot_command_writes_figures(results, ponder_cli, tmp_path):
    done = ponder_cli("plot", results, "--out", tmp_path / "figs", "--kind", "trace", "pair",
                      "--format", "png", "svg", "--truth", "origin=100", "drift=0.2", "sigma=10")
    assert done.returncode == 0, done.stderr
    for name in ("trace.png", "trace.svg", "pair.png", "pair.svg"):
        assert (tmp_path / "figs" / name).stat().st_size > 5_000
    bad = ponder_cli("plot", results, "--kind", "traces")
    assert bad.returncode == 2 and "did you mean `trace`?" in bad.stderr and "Traceback" not in bad.stderr
    missing = ponder_cli("report", tmp_path / "nope.nc")
    assert missing.returncode == 2 and "not found" in missing.stderr
