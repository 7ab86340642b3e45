"""The wheel, installed without the dev extra, runs the whole pipeline on the demo shop.

The venv comes from scripts/wheel-venv.sh: the wheel built from this tree, installed with
`-c constraints.txt` into a venv of its own (no --system-site-packages, no dev extra). `make
test` prepares it and passes its path in QAFORGE_WHEEL_VENV; a plain `pytest` run prepares it
here (fast when cached). Nothing is ever skipped: a venv that cannot be prepared fails the test,
in CI and out of it. Every process runs with the installed venv's own `qaforge` and python, from
a directory outside the source tree, so nothing of `src/` or the dev venv can leak in.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qaforge.demoapp.launcher import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "wheel-venv.sh"
DEV_ONLY = ("mypy", "hypothesis", "pytest_asyncio")
# Extras a plain install goes without (`pip install 'qaforge[postgres]'` adds them).
EXTRAS_ONLY = ("psycopg", "psycopg_pool")


def _prepare() -> Path:
    given = os.environ.get("QAFORGE_WHEEL_VENV")
    if given:
        venv = Path(given)
        if not (venv / "bin" / "qaforge").exists():
            pytest.fail(f"QAFORGE_WHEEL_VENV={given} has no bin/qaforge", pytrace=False)
        return venv
    try:
        p = subprocess.run(
            [str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"scripts/wheel-venv.sh timed out: {exc}", pytrace=False)
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        where = " (CI)" if os.environ.get("CI") == "true" else ""
        pytest.fail(
            f"could not build/install the wheel venv{where}: exit {p.returncode}\n"
            + p.stderr[-3000:],
            pytrace=False,
        )
    return Path(lines[-1])


@pytest.fixture(scope="module")
def wheel_venv() -> Path:
    """The venv with the installed wheel (and only the runtime dependencies)."""
    venv = _prepare()
    for exe in ("python", "qaforge"):
        assert (venv / "bin" / exe).exists(), f"{venv}/bin/{exe} is missing"
    return venv


def _env(venv: Path, home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: the installed venv first on PATH, nothing of the dev venv or of
    the outer pytest (PYTEST_ADDOPTS, xdist worker ids), qaforge settings only as given."""
    keep_qaforge = {"QAFORGE_CHROMIUM"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}
        and not k.startswith("PYTEST_")
        and (not k.startswith("QAFORGE_") or k in keep_qaforge)
    }
    env["PATH"] = str(venv / "bin") + os.pathsep + env.get("PATH", "")
    env["PYTHONNOUSERSITE"] = "1"
    env["QAFORGE_HOME"] = str(home)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


PROBE = """
import importlib.resources, importlib.util, json, sys
import qaforge
print(json.dumps({
    "file": qaforge.__file__,
    "prefix": sys.prefix,
    "present": [m for m in sys.argv[1:] if importlib.util.find_spec(m)],
    "package_lock": importlib.resources.files("qaforge")
    .joinpath("generate/ts_runtime/package-lock.json")
    .is_file(),
}))
"""
# Imported by qaforge itself or by the suites it generates and runs in a subprocess.
RUNTIME = (
    "xdist",
    "pytest_playwright",
    "pytest_timeout",
    "axe_playwright_python",
    "ruff",
    "aiosqlite",
    "uvicorn",
    "multipart",
    "itsdangerous",
)


def _py(venv: Path, cwd: Path, *args: str) -> str:
    """Run the installed venv's own python (not the dev venv's) outside the source tree."""
    p = subprocess.run(
        [str(venv / "bin" / "python"), *args],
        cwd=cwd,
        env=_env(venv, cwd / "home"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def test_installed_package_is_the_wheel_with_runtime_deps_only(
    wheel_venv: Path, tmp_path: Path
) -> None:
    out = json.loads(_py(wheel_venv, tmp_path, "-c", PROBE, *DEV_ONLY, *EXTRAS_ONLY, *RUNTIME))
    installed = Path(out["file"]).resolve()
    assert installed.is_relative_to(Path(out["prefix"]).resolve()), out  # the venv's own copy
    assert not installed.is_relative_to(ROOT / "src"), out
    dev = [m for m in out["present"] if m in DEV_ONLY]
    missing = [m for m in RUNTIME if m not in out["present"]]
    assert dev == [], f"dev-only packages in the runtime install: {dev}"
    extras = [m for m in out["present"] if m in EXTRAS_ONLY]
    assert extras == [], f"packages of an extra in the plain install: {extras}"
    assert missing == [], f"runtime packages missing: {missing}"
    assert out["package_lock"], "package data missing from the wheel (ts_runtime/*.json)"
    # The suite's pytest (same python) has every option `qaforge run` passes it.
    helptext = _py(wheel_venv, tmp_path, "-m", "pytest", "--help")
    for option in ("--numprocesses", "--base-url", "--tracing", "--timeout=", "--output"):
        assert option in helptext, f"pytest in the installed venv lacks {option}"


def test_every_installed_distribution_is_pinned_in_constraints(
    wheel_venv: Path, tmp_path: Path
) -> None:
    """constraints.txt is the lock: the runtime install holds nothing it does not pin."""
    pins = {
        line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    code = (
        "import json, importlib.metadata as m\n"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    dists = json.loads(_py(wheel_venv, tmp_path, "-c", code))
    unpinned = {
        name: version
        for name, version in dists.items()
        if name.lower() != "qaforge" and pins.get(name.lower().replace("_", "-")) != version
    }
    assert unpinned == {}, (
        f"installed but not pinned (name: version) in constraints.txt: {unpinned}"
    )


def test_postgres_without_its_extra_is_refused_with_the_command_that_installs_it(
    wheel_venv: Path, tmp_path: Path
) -> None:
    env = _env(
        wheel_venv, tmp_path / "home", QAFORGE_DATABASE_URL="postgresql://127.0.0.1:5432/test"
    )
    p = subprocess.run(
        [str(wheel_venv / "bin" / "qaforge"), "runs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = p.stdout + p.stderr
    assert p.returncode == 2, output
    assert "pip install 'qaforge[postgres]'" in output and "Traceback" not in output, output


@pytest.fixture()
def wheel_demo_app(wheel_venv: Path, tmp_path: Path) -> Iterator[str]:
    """The demo shop served by the installed package's own `qaforge demo-app`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "demo-app.log").open("wb")
    proc = subprocess.Popen(
        [str(wheel_venv / "bin" / "qaforge"), "demo-app", "--port", str(port)],
        cwd=tmp_path,
        env=_env(wheel_venv, tmp_path / "home"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"qaforge demo-app exited with {proc.returncode}:\n"
                    + (tmp_path / "demo-app.log").read_text()[-2000:],
                    pytrace=False,
                )
            try:
                if httpx.get(url + "/api/products", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"qaforge demo-app did not answer on {url} within 60 s", pytrace=False)
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ~2 min on an idle machine; much more when the 2 cores are shared.
@pytest.mark.timeout(1800)
def test_installed_qaforge_runs_the_whole_pipeline_on_the_demo_shop(
    wheel_venv: Path, wheel_demo_app: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    cmd = [
        str(wheel_venv / "bin" / "qaforge"),
        "run",
        wheel_demo_app,
        "--out",
        str(out),
        "--login-url",
        "/login",
        "--app",
        "demo-wheel",
        "--json",
        "--no-pdf",
        # One run of the 30 riskiest tests: the flake check and the whole suite are tested
        # elsewhere; this is the installation.
        "--runs",
        "1",
        "--max-tests",
        "30",
    ]
    env = _env(wheel_venv, tmp_path / "home", QAFORGE_USERNAME="demo", QAFORGE_PASSWORD="demo")
    p = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1700)
    context = f"exit {p.returncode}\nstderr:\n{p.stderr[-4000:]}\nstdout:\n{p.stdout[-2000:]}"
    assert p.returncode != 2, context  # 2: usage or environment error
    assert p.stdout.lstrip().startswith("{"), context  # --json: the summary on stdout
    printed: dict[str, Any] = json.loads(p.stdout)
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    assert printed["tests"] == summary["tests"], context
    t = summary["tests"]
    assert t["generated"] == 30, (t, context)
    assert t["passed"] >= 25, (t, context)
    kinds = {(f["kind"], f["where"].rsplit("/", 1)[-1]) for f in summary["findings"]}
    assert ("broken-link", "about") in kinds, summary["findings"]
    assert p.returncode == 1, context  # the demo shop's deliberate defects
    assert summary["app"] == "demo-wheel"
    report = Path(summary["artifacts"]["report_html"])
    assert report.is_relative_to(out) and report.stat().st_size > 1000
    assert not (out / "report.pdf").exists()  # --no-pdf
    tests_dir = Path(summary["artifacts"]["tests_dir"])
    assert (tests_dir / "conftest.py").exists() and (out / "junit.xml").exists()
