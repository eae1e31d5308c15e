"""Layer 4: appkit as a user gets it from PyPI. The wheel is built and installed into a
fresh virtualenv outside the repository (its dependencies come from this one's
site-packages, so nothing is downloaded); there ``appkit build`` packages a small app with
a static folder, a data file declared in its pyproject, a version and an icon. That proves
``packaging/`` ships inside the wheel. A plain ``pyinstaller`` run of the same app works
too, through appkit's ``pyinstaller40`` hook entry point. And a build whose result fails
its self-test leaves nothing in the output folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests.packaging.conftest import REPO, private_env, require_build_tools, run_build
from tests.shell.lines import Lines

pytestmark = pytest.mark.frozen

APP = '''
from pathlib import Path

from appkit import App
from appkit.html import Link, P, Page

app = App("greeter")
GREETING = (Path(__file__).parent / "data" / "greeting.txt").read_text().strip()


@app.get("/")
def index():
    return Page("Greeter", P(GREETING, id="greeting"),
                head=[Link(rel="stylesheet", href=app.static_url("site.css"))])


if __name__ == "__main__":
    app.run()
'''

PYPROJECT = '''
[project]
name = "greeter"
version = "2.5.1"

[tool.appkit]
data = ["data/greeting.txt"]
'''

BROKEN = '''
from appkit import App

app = App("broken")


@app.get("/")
def index():
    raise RuntimeError("this page always fails")
'''

# The smallest valid PNG (1x1, transparent).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000050001" "0d0a2db40000000049454e44ae426082")


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with appkit installed from its wheel (not editable)."""
    require_build_tools()
    tmp = tmp_path_factory.mktemp("wheel")
    wheels = tmp / "wheels"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--no-index", "-q", "-w", str(wheels),
                           str(REPO)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = wheels.glob("appkit-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    # The dependencies, from this environment (after the venv's own site-packages).
    (site / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index",
                           "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


@pytest.fixture(scope="module")
def greeter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("greeter-src") / "greeter"
    (folder / "static").mkdir(parents=True)
    (folder / "data").mkdir()
    (folder / "app.py").write_text(APP)
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "static" / "site.css").write_text("#greeting { color: green }\n")
    (folder / "data" / "greeting.txt").write_text("Hello from a data file\n")
    (folder / "icon.png").write_bytes(PNG)
    return folder


def test_packaging_files_come_from_the_installed_wheel(fresh_venv: Path,
                                                      tmp_path: Path) -> None:
    found = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-c",
         "from appkit.build import packaging_dir, hook_dirs; print(packaging_dir()); "
         "print(hook_dirs()[0])"], capture_output=True, text=True, check=True,
        cwd=tmp_path).stdout.split()
    assert found[0].startswith(str(fresh_venv)) and found[0].endswith("appkit/_packaging")
    assert (Path(found[1]) / "hook-appkit.py").is_file()
    assert str(REPO) not in found[0]


def test_appkit_build_in_a_fresh_virtualenv(fresh_venv: Path, greeter: Path,
                                            build_env: dict[str, str],
                                            tmp_path: Path) -> None:
    done = subprocess.run(
        [str(fresh_venv / "bin" / "appkit"), "build", str(greeter), "-o",
         str(tmp_path / "dist"), "--icon", str(greeter / "icon.png")],
        cwd=tmp_path, env=build_env, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "greeter 2.5.1" in output and "self-test passed" in output
    exe = tmp_path / "dist" / "greeter"
    env = private_env(tmp_path / "home")
    version = subprocess.run([str(exe), "--version"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert version.stdout.strip() == "greeter 2.5.1"
    assert_serves_greeting(exe, [], env, tmp_path)


def test_a_plain_pyinstaller_run_uses_appkits_hooks(fresh_venv: Path, greeter: Path,
                                                   build_env: dict[str, str],
                                                   tmp_path: Path) -> None:
    entry = tmp_path / "greeter_main.py"
    entry.write_text(f"import sys\nsys.path.insert(0, {str(greeter)!r})\nfrom app import app\n"
                     "if __name__ == '__main__':\n    from appkit.build.runtime import main\n"
                     "    sys.exit(main(sys.modules['app']))\n")
    done = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-m", "PyInstaller", "--noconfirm", "--onedir",
         "--paths", str(greeter), "--add-data", f"{greeter / 'static'}:static",
         "--add-data", f"{greeter / 'data'}:data", "--exclude-module", "PyQt6",
         "--exclude-module", "qtpy", "--distpath", str(tmp_path / "dist"),
         "--workpath", str(tmp_path / "work"), "--specpath", str(tmp_path), str(entry)],
        cwd=tmp_path, env=build_env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    internal = tmp_path / "dist" / "greeter_main" / "_internal"
    assert (internal / "appkit" / "static" / "vendor" / "htmx.min.js").is_file(), \
        "appkit's hook did not collect its assets"
    assert_serves_greeting(tmp_path / "dist" / "greeter_main" / "greeter_main", [],
                           private_env(tmp_path / "home"), tmp_path)


def test_a_build_that_fails_its_self_test_leaves_nothing_in_the_output_folder(
        build_env: dict[str, str], tmp_path: Path) -> None:
    require_build_tools()
    source = tmp_path / "broken"
    source.mkdir()
    (source / "app.py").write_text(BROKEN)
    dist = tmp_path / "dist"
    (dist).mkdir()
    (dist / "keep.txt").write_text("an earlier file")
    done = run_build([str(source), "--onedir", "-o", str(dist)], tmp_path, build_env)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "failed its self-test" in output and "FAIL index page through the guard" in output
    assert "nothing was written to the output folder" in output
    assert sorted(p.name for p in dist.iterdir()) == ["keep.txt"]


def assert_serves_greeting(exe: Path, args: list[str], env: dict[str, str],
                           cwd: Path) -> None:
    proc = subprocess.Popen([str(exe), "--headless", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    try:
        url = Lines(proc.stdout).expect("ready: ", timeout=120).split(" ", 1)[1]
        with httpx.Client(follow_redirects=True) as client:
            page = client.get(url)
            assert page.status_code == 200
            assert "Hello from a data file" in page.text
            base = url.split("?", 1)[0].rstrip("/")
            css = client.get(base + "/static/site.css")
            assert css.status_code == 200 and "green" in css.text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
