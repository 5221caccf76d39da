"""What instructors run (ci/): the Gradescope bundle in a temporary /autograder, and the GitHub workflows.

run_autograder runs as Gradescope runs it, from a copy beside the unzipped bundle, with
only its paths moved (AUTOGRADER_ROOT) and one fast lab. setup.sh runs for real but for
apt-get: into a temporary venv that reuses this interpreter's packages, so no download.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.grading import REFERENCE

REPO = Path(__file__).resolve().parent.parent
GRADESCOPE = REPO / "ci" / "gradescope"
GITHUB = REPO / "ci" / "github"
WITHIN = 120  # seconds for one script run; grading the echo lab takes a few
NETLAB = [sys.executable, "-c", "import sys; from graders.commands.cli import main; sys.exit(main())"]  # the `netlab` command


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without netlab's knobs, plus the ones a test sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NETLAB_", "AUTOGRADER_"))}
    return env | extra


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    subprocess.run(["bash", str(GRADESCOPE / "make_bundle.sh"), "--lab", "echo", "--out", str(out)],
                   check=True, capture_output=True, timeout=WITHIN)
    return out


@pytest.fixture
def autograder(bundle: Path, tmp_path: Path) -> Path:
    return unzipped(bundle, tmp_path)


def run_autograder(root: Path, **env: str) -> tuple[dict, subprocess.CompletedProcess[str]]:
    """Grade root/submission; results.json must exist and be Gradescope's format whatever happened.

    By default netlab is this checkout with this interpreter: it already imports `graders`
    from here, and pytest would refuse the bundle's second copy of the same package."""
    env = clean_env(AUTOGRADER_ROOT=str(root), NETLAB_HOME=str(REPO), NETLAB_PYTHON=sys.executable,
                    NETLAB_GRADER_USER="") | env
    done = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=WITHIN)
    path = root / "results" / "results.json"
    assert path.is_file(), f"no results.json; the run said:\n{done.stdout}\n{done.stderr}"
    results = json.loads(path.read_text())
    assert isinstance(results["score"], (int, float))
    for test in results.get("tests", []):
        assert {"name", "score", "max_score", "output"} <= test.keys()
    assert results["score"] == sum(test["score"] for test in results.get("tests", []))
    return results, done


# The bundle


def test_bundle_has_the_scripts_at_its_root_and_netlab_without_the_solutions(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        labs = archive.read("labs").decode().split()
    assert {"setup.sh", "run_autograder", "finish.py", "labs"} <= names
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert {"netlab/pyproject.toml", "netlab/README.md", "netlab/LABS.md", "netlab/graders/reports/plugin.py",
            "netlab/graders/test_echo.py", "netlab/fixtures/www/index.html", "netlab/student_template/udp_server.py"} <= names
    assert not [n for n in names if n.startswith(("netlab/reference", "netlab/tests", "netlab/fixtures/bad")) or "__pycache__" in n]
    assert labs == ["echo"]


def test_make_bundle_refuses_a_lab_that_does_not_exist(tmp_path: Path) -> None:
    done = subprocess.run(["bash", str(GRADESCOPE / "make_bundle.sh"), "--lab", "ecko", "--out", str(tmp_path / "a.zip")],
                          capture_output=True, text=True, timeout=WITHIN)
    assert done.returncode == 2
    assert "unknown lab 'ecko'" in done.stderr and "echo" in done.stderr
    assert not (tmp_path / "a.zip").exists()


def test_scripts_are_valid_bash() -> None:
    for script in [GRADESCOPE / "setup.sh", GRADESCOPE / "run_autograder", GRADESCOPE / "make_bundle.sh", GITHUB / "make_public_copy.sh"]:
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, f"{script.name}: {done.stderr}"


def unzipped(bundle: Path, into: Path) -> Path:
    """/autograder as Gradescope lays it out: the bundle in source/, run_autograder copied beside."""
    root = into / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def make_bundle(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """make_bundle.sh as an instructor runs it: where netlab is installed, its python3 first on PATH
    (README's commands use the venv's python without activating it, so PATH alone would find another)."""
    installed = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", str(GRADESCOPE / "make_bundle.sh"), *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=WITHIN, env=installed)


def test_a_course_profile_travels_in_the_bundle_and_grades_handout_code(tmp_path: Path) -> None:
    """make_bundle.sh --course FILE: the profile rides in the zip; run_autograder grades by it."""
    profile = tmp_path / "my-course.toml"
    profile.write_text('[labs.echo.programs."udp_server.py"]\nnames = ["UDPServer.py"]\n')
    made = make_bundle(tmp_path / "a.zip", "--lab", "echo", "--course", str(profile))
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.read("course").decode().strip() == "course.d/my-course.toml"
        assert archive.read("course.d/my-course.toml") == profile.read_bytes()
    root = unzipped(tmp_path / "a.zip", tmp_path)
    shutil.copytree(REFERENCE, root / "submission", dirs_exist_ok=True)
    (root / "submission" / "udp_server.py").rename(root / "submission" / "UDPServer.py")
    results, done = run_autograder(root)
    assert results["tests"] and all(test["score"] == test["max_score"] for test in results["tests"]), done.stdout[-3000:]


def test_a_profile_that_names_what_does_not_exist_is_refused_when_the_bundle_is_made(tmp_path: Path) -> None:
    profile = tmp_path / "typo.toml"
    profile.write_text('[labs.echo]\noff = ["test_udp_server_uppercases_each_datagrm"]\n')
    made = make_bundle(tmp_path / "a.zip", "--course", str(profile))
    unknown = make_bundle(tmp_path / "b.zip", "--course", "textbok")
    assert made.returncode == 2 and "did you mean `test_udp_server_uppercases_each_datagram`" in made.stderr, made.stderr
    assert unknown.returncode == 2 and "no course profile 'textbok'" in unknown.stderr
    assert not (tmp_path / "a.zip").exists() and not (tmp_path / "b.zip").exists()


def test_where_the_image_makes_no_namespaces_the_results_say_so_and_the_rest_is_graded(tmp_path: Path) -> None:
    """The bundled textbook profile in a container that refuses namespaces (forced here)."""
    assert make_bundle(tmp_path / "t.zip", "--lab", "webserver", "--course", "textbook").returncode == 0
    root = unzipped(tmp_path / "t.zip", tmp_path)
    shutil.copytree(REFERENCE, root / "submission", dirs_exist_ok=True)
    results, done = run_autograder(root, NETLAB_NAMESPACES="off")
    assert "no network namespaces here" in results["output"] and "webserver.py" in results["output"], done.stdout[-3000:]
    graded = [test for test in results["tests"] if "http_client.py" in test["name"]]
    assert graded and all(test["score"] == test["max_score"] for test in graded), done.stdout[-3000:]


# run_autograder


def test_reference_gets_full_marks_and_what_its_programs_write_as_results_does_not_count(autograder: Path) -> None:
    shutil.copytree(REFERENCE, autograder / "submission", dirs_exist_ok=True)
    planted = autograder / "results" / "results.json"
    planted.write_text('{"score": 1000}')  # left by someone before grading
    server = autograder / "submission" / "tcp_server.py"  # and written by a program during it
    tried = autograder / "tried"
    server.write_text(f"open({str(planted)!r}, 'w').write('{{\"score\": 999}}'); open({str(tried)!r}, 'w')\n"
                      + server.read_text())
    results, _ = run_autograder(autograder)
    assert tried.exists()
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0
    assert {test["name"].split(" / ")[0] for test in results["tests"]} == {"echo"}  # the bundle's labs file
    assert "output" not in results  # nothing to remark on


def test_empty_submission_gets_zero_and_hears_which_files_are_missing(autograder: Path) -> None:
    results, _ = run_autograder(autograder)
    assert results["score"] == 0 and results["tests"]
    assert "no .py file" in results["output"]
    for test in results["tests"]:
        assert "not found" in test["output"], test


def test_a_template_submitted_as_handed_out_is_not_attempted(autograder: Path) -> None:
    """The bundle carries student_template/: a program still its stub was not attempted, core included
    (graded with the bundle's own netlab, as on Gradescope)."""
    shutil.copytree(REFERENCE.parent / "student_template", autograder / "submission", dirs_exist_ok=True)
    bundled = autograder / "source" / "netlab"
    results, done = run_autograder(autograder, NETLAB_HOME=str(bundled), PYTHONPATH=str(bundled))
    assert results["score"] == 0 and results["tests"], done.stdout[-3000:]
    for test in results["tests"]:
        assert "is still the template's stub: not attempted" in test["output"], test


def test_submission_zipped_as_one_folder_is_graded_in_that_folder(autograder: Path) -> None:
    shutil.copytree(REFERENCE, autograder / "submission" / "my-labs")
    (autograder / "submission" / "__MACOSX").mkdir()  # what a Mac's zip adds beside it
    results, _ = run_autograder(autograder)
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0
    assert "`my-labs/`" in results["output"]


@pytest.mark.parametrize(("env", "says"), [
    ({"NETLAB_LABS": "nosuchlab"}, "unknown lab nosuchlab"),
    ({"NETLAB_PYTHON": "/nonexistent/python3"}, "not found"),
], ids=["usage-error", "no-interpreter"])
def test_a_grading_that_crashes_still_leaves_a_zero_that_says_why(autograder: Path, env: dict[str, str], says: str) -> None:
    shutil.copytree(REFERENCE, autograder / "submission", dirs_exist_ok=True)
    results, _ = run_autograder(autograder, **env)
    assert results["score"] == 0 and results["tests"] == []
    assert "could not grade" in results["output"] and "not a verdict on your code" in results["output"]
    assert says in results["output"]


# The bundle on its own, and setup.sh


def test_the_bundle_grades_with_its_own_graders_and_documents(autograder: Path) -> None:
    """The bundle's netlab, not this checkout's: PYTHONPATH puts its `graders` first, as
    setup.sh's editable install does on Gradescope (were this checkout's imported, pytest
    would refuse the bundle's copy and score 0). The webserver lab serves fixtures/www."""
    shutil.copytree(REFERENCE, autograder / "submission", dirs_exist_ok=True)
    bundled = autograder / "source" / "netlab"
    results, _ = run_autograder(autograder, NETLAB_HOME=str(bundled), PYTHONPATH=str(bundled), NETLAB_LABS="webserver")
    assert results["tests"] and results["score"] == sum(test["max_score"] for test in results["tests"]), results.get("output")


def can_build_offline() -> bool:
    """pip install -e without a download: setuptools with its own bdist_wheel (70.1+), or wheel."""
    return any(importlib.util.find_spec(name) is not None for name in ("setuptools.command.bdist_wheel", "wheel"))


@pytest.mark.skipif(not can_build_offline(), reason="installing netlab offline needs setuptools 70.1+ or wheel here")
def test_setup_installs_netlab_into_a_venv_that_collects_the_graders(autograder: Path, tmp_path: Path) -> None:
    """setup.sh for real but for apt-get and downloads: the venv reuses this interpreter's packages."""
    venv = tmp_path / "venv"
    setup = subprocess.run(
        ["bash", str(autograder / "source" / "setup.sh")], capture_output=True, text=True, timeout=WITHIN,
        env=clean_env(NETLAB_SKIP_APT="1", NETLAB_GRADER_USER="", NETLAB_VENV=str(venv),
                      NETLAB_BASE_PYTHON=sys.executable, NETLAB_VENV_ARGS="--system-site-packages --without-pip",
                      NETLAB_PIP_ARGS="--no-deps --no-build-isolation"),
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "netlab installed in" in setup.stdout


# The GitHub workflows


def workflow(name: str) -> dict:
    yaml = pytest.importorskip("yaml")
    loaded = yaml.safe_load((GITHUB / name).read_text())
    loaded["on"] = loaded.get("on", loaded.pop(True, None))  # YAML 1.1 reads a bare `on` as true
    return loaded


def commands(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def uses(job: dict, action: str) -> list[dict]:
    return [step.get("with", {}) for step in job["steps"] if step.get("uses", "").startswith(action)]


def test_student_workflow_grades_each_push_and_keeps_the_reports() -> None:
    flow = workflow("student.yml")
    assert "push" in flow["on"]
    assert flow["permissions"] == {"contents": "read"}
    assert flow["env"]["NETLAB_REPOSITORY"] == "your-org/netlab"  # the placeholder an instructor edits
    assert flow["env"]["NETLAB_COURSE"] == ""  # LABS.md unless the instructor names a profile
    job = flow["jobs"]["grade"]
    assert [w["python-version"] for w in uses(job, "actions/setup-python")] == ["3.11"]
    assert any(w.get("repository") == "${{ env.NETLAB_REPOSITORY }}" for w in uses(job, "actions/checkout"))
    run = commands(job)
    assert "pip install -e ./netlab" in run
    assert "pytest graders/ --submission ../submission" in run
    assert "--results-json ../results.json" in run and "--junitxml ../junit.xml" in run
    assert '>> "$GITHUB_STEP_SUMMARY"' in run
    [upload] = uses(job, "actions/upload-artifact")
    assert upload["path"].split() == ["results.json", "junit.xml"]


def test_instructor_workflow_shards_the_class_over_a_matrix_and_merges_the_gradebooks() -> None:
    flow = workflow("instructor.yml")
    assert "roster" in flow["on"]["workflow_dispatch"]["inputs"]
    grade, merge = flow["jobs"]["grade"], flow["jobs"]["merge"]
    assert grade["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    assert grade["strategy"]["fail-fast"] is False
    assert grade["env"]["SHARD"] == "${{ matrix.shard }}/${{ strategy.job-total }}"
    run = commands(grade)
    assert 'clone_roster.py "$ROSTER" submissions --shard "$SHARD"' in run
    assert "netlab batch submissions --csv" in run
    assert 'sudo env "PATH=$PATH" netlab batch' in run and "--pytest-arg=--isolate" in run  # sandboxed, as root
    assert "course" in flow["on"]["workflow_dispatch"]["inputs"] and '--course "$COURSE"' in run
    assert {w["name"] for w in uses(grade, "actions/upload-artifact")} == {
        "gradebook-shard-${{ matrix.shard }}", "results-shard-${{ matrix.shard }}"}
    assert "grade" in merge["needs"]
    assert uses(merge, "actions/download-artifact")[0]["pattern"] == "gradebook-shard-*"
    assert "netlab merge-csv grades.csv shards/*.csv" in commands(merge)
    assert uses(merge, "actions/upload-artifact")[0]["path"].split() == ["grades.csv", "class.html", "canvas.csv", "moodle.csv"]
    assert {"deadline", "prefix", "class_list"} <= flow["on"]["workflow_dispatch"]["inputs"].keys()
    assert '--before "$DEADLINE"' in run and '--prefix "$PREFIX"' in run and "clone-commits.txt" in str(uses(grade, "actions/upload-artifact"))
    assert '--roster "$CLASS_LIST" --canvas canvas.csv --moodle moodle.csv' in commands(merge)


def readme_commands(language: str) -> list[str]:
    """The lines of README.md's first fenced block in ``language`` (``sh``, ``powershell``)."""
    lines = (REPO / "README.md").read_text().splitlines()
    start = lines.index(f"```{language}") + 1
    end = lines.index("```", start)
    return [line for line in lines[start:end] if line.strip()]


def test_readme_starts_with_two_commands_per_system_each_making_and_using_its_venv() -> None:
    """Debian 12+, Ubuntu 23.04+ and Homebrew refuse `pip install` outside a venv (PEP 668), and
    Debian has `python3`, no `python`: each command makes the venv and runs its own python."""
    assert (REPO / "README.md").read_text().index("```sh") < 40  # at the top
    posix, windows = readme_commands("sh"), readme_commands("powershell")
    for commands, python in ((posix, ".venv/bin/python"), (windows, ".venv\\Scripts\\python")):
        assert len(commands) == 2
        grade, tests = commands
        for command in commands:
            assert " -m venv .venv" in command and f"{python} -m pip install -e " in command
        assert grade.endswith(f"{python} -m pytest graders/ --submission reference")
        assert tests.endswith(f"{python} -m pytest tests/ -n 4") and "'.[test]'" in tests
    assert all(command.startswith("python3 ") for command in posix)
    assert all("&&" not in command for command in windows)  # Windows PowerShell 5.1 has no &&


def test_ci_runs_the_readmes_commands_as_printed() -> None:
    """.ci/run reads them from README.md at each run: they cannot drift apart."""
    done = subprocess.run(["bash", str(REPO / ".ci" / "run"), "--print"], capture_output=True, text=True, timeout=WITHIN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == readme_commands("sh")


def test_ci_refuses_a_readme_whose_block_is_not_two_commands(tmp_path: Path) -> None:
    copy = tmp_path / "netlab"
    (copy / ".ci").mkdir(parents=True)
    shutil.copy(REPO / ".ci" / "run", copy / ".ci" / "run")
    (copy / "README.md").write_text("```sh\npip install -e .\n```\n")
    done = subprocess.run(["bash", str(copy / ".ci" / "run"), "--print"], capture_output=True, text=True, timeout=WITHIN)
    assert done.returncode == 1 and "holds 1 commands, not 2" in done.stderr


def test_classroom_workflow_reports_each_check_through_classrooms_reporter() -> None:
    flow = workflow("classroom.yml")
    assert "push" in flow["on"]
    assert flow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    (job,) = flow["jobs"].values()
    assert job["if"] == "github.actor != 'github-classroom[bot]'", "Classroom's own first commit is not graded"
    [reporter] = uses(job, "classroom-resources/autograding-grading-reporter@v1")
    assert reporter["runners"] == "${{ steps.netlab.outputs.runners }}"
    [points] = [step for step in job["steps"] if step.get("id") == "netlab"]
    assert "netlab classroom ../results.json" in points["run"]


def test_classroom_workflow_s_steps_give_the_reporter_every_check_s_points(tmp_path: Path) -> None:
    """The workflow's own Grade and Points steps, run as a runner runs them (bash -e, from
    netlab/), on the reference's echo lab; what they leave is read as the reporter reads it."""
    from tests.test_classroom import reported

    flow = workflow("classroom.yml")
    (job,) = flow["jobs"].values()
    steps = {step.get("name"): step for step in job["steps"]}
    shutil.copytree(REFERENCE, tmp_path / "submission")
    for entry in ("pyproject.toml", "LABS.md", "graders", "fixtures", "ci"):  # a checkout, its parent not REPO's
        (tmp_path / "netlab" / entry).parent.mkdir(exist_ok=True)
        (tmp_path / "netlab" / entry).symlink_to(REPO / entry)
    github_env, github_output = tmp_path / "github_env", tmp_path / "github_output"
    env = clean_env(**flow["env"]) | {"NETLAB_LABS": "echo", "GITHUB_ENV": str(github_env), "GITHUB_OUTPUT": str(github_output),
                                      "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("Grade", "Points for Classroom"):
        step = steps[name]
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path / step["working-directory"], env=env,
                              capture_output=True, text=True, timeout=WITHIN)
        assert done.returncode == 0, f"{name}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    runners = github_output.read_text().strip().removeprefix("runners=")
    variables = dict(line.split("=", 1) for line in github_env.read_text().splitlines())
    seen = reported(runners, variables)
    assert seen.total_points == seen.max_points == 23 and not seen.step_fails


def test_netlabs_own_workflow_runs_the_readme_and_grades_on_every_laptop_system() -> None:
    """netlab's own tests: the README's two commands on Linux, and its first for the system on
    macOS and Windows, where students grade too, then the portable tests."""
    yaml = pytest.importorskip("yaml")
    flow = yaml.safe_load((REPO / ".github" / "workflows" / "tests.yml").read_text())
    assert readme_commands("sh") == [step["run"] for step in flow["jobs"]["linux"]["steps"] if "run" in step]
    laptops = flow["jobs"]["laptops"]
    assert set(laptops["strategy"]["matrix"]["os"]) == {"macos-latest", "windows-latest"}
    runs = {step.get("if"): step for step in laptops["steps"] if "run" in step}
    assert runs["runner.os == 'macOS'"]["run"] == readme_commands("sh")[0]
    assert runs["runner.os == 'Windows'"]["run"] == readme_commands("powershell")[0]
    assert runs["runner.os == 'Windows'"]["shell"] == "powershell"


def test_the_public_copy_grades_and_gives_no_lab_away(tmp_path: Path) -> None:
    """What student.yml checks out: it grades (from its own graders), and holds no solution."""
    copy = tmp_path / "netlab-public"
    made = subprocess.run(["bash", str(GITHUB / "make_public_copy.sh"), str(copy)], capture_output=True, text=True, timeout=WITHIN)
    assert made.returncode == 0, made.stderr
    held = {path.relative_to(copy).as_posix() for path in copy.rglob("*")}
    assert {"graders/reports/plugin.py", "fixtures/www/index.html", "ci/github/step_summary.py", "LABS.md", "student_template/webserver.py"} <= held
    assert not [name for name in held if name.split("/")[0] in ("reference", "tests", "scripts", ".github")
                or name.startswith(("fixtures/bad", "fixtures/good", "fixtures/textbook", "fixtures/hostile"))]
    submission = shutil.copytree(REFERENCE, tmp_path / "submission")
    grading = subprocess.run([sys.executable, "-m", "pytest", "graders", "--submission", str(submission), "--lab", "echo",
                              "-q", "-p", "no:cacheprovider"], cwd=copy, capture_output=True, text=True, timeout=WITHIN)
    assert grading.returncode == 0 and f"submission: {submission}" in grading.stdout, grading.stdout[-3000:]
    where = subprocess.run([sys.executable, "-c", "import graders; print(graders.__file__)"], cwd=copy, capture_output=True, text=True)
    assert where.stdout.startswith(str(copy)), "the copy graded with another checkout's graders"


def test_the_scripts_the_workflows_run_exist() -> None:
    for name in ["student.yml", "instructor.yml", "classroom.yml"]:
        text = (GITHUB / name).read_text()
        for script in ["ci/github/step_summary.py", "ci/github/clone_roster.py"]:
            if script in text:
                assert (REPO / script).is_file()


# The workflows' helpers


def test_step_summary_gives_points_per_lab_and_each_failed_check(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"score": 3, "max_score": 6, "tests": [
        {"name": "echo / core / test_a", "score": 2, "max_score": 2, "output": "rule: a"},
        {"name": "echo / optional 1: x / test_b", "score": 1, "max_score": 1, "output": "rule: b"},
        {"name": "webserver / core / test_c", "score": 0, "max_score": 3, "output": "expected: 404\n```\ngot: 200"},
    ]}))
    script = str(GITHUB / "step_summary.py")
    text = subprocess.run([sys.executable, script, str(results)], capture_output=True, text=True, check=True).stdout
    assert "## netlab: 3/6" in text
    assert "| echo | core | 2/2 |" in text and "| echo | optional 1: x | 1/1 |" in text
    assert "| webserver | core | 0/3 |" in text
    assert "webserver / core / test_c (0/3)" in text and "````text\nexpected: 404\n```\ngot: 200\n````" in text
    missing = subprocess.run([sys.executable, script, str(tmp_path / "none.json")], capture_output=True, text=True)
    assert missing.returncode == 0 and "no score" in missing.stdout


def git_repo(path: Path, files: Path | None) -> str:
    path.mkdir(parents=True)
    if files is not None:
        shutil.copytree(files, path, dirs_exist_ok=True)
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "lab"], check=True)
    return f"file://{path}"


def test_roster_shards_clone_each_repository_once_and_merge_into_one_gradebook(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    good = git_repo(tmp_path / "repos" / "lab-alice", REFERENCE)
    empty = git_repo(tmp_path / "repos" / "lab-bob", None)
    roster = tmp_path / "roster.txt"
    roster.write_text(f"# class of 3\n{good}\n{empty}   bob  # a name of its own\n{tmp_path}/repos/gone carol\n")
    gradebooks = []
    for k in (1, 2):
        shard = tmp_path / f"shard{k}"
        shard.mkdir()
        clone = subprocess.run([sys.executable, str(GITHUB / "clone_roster.py"), str(roster), "submissions", "--shard", f"{k}/2"],
                               cwd=shard, capture_output=True, text=True, timeout=WITHIN)
        assert clone.returncode == 0, clone.stderr
        grade = subprocess.run([*NETLAB, "batch", "submissions", "--csv", "shard.csv",
                                "--results-dir", "results", "--lab", "echo"],
                               cwd=shard, capture_output=True, text=True, timeout=WITHIN)
        assert (shard / "shard.csv").is_file(), grade.stderr
        gradebooks.append(shard / "shard.csv")
    cloned = [sorted(p.name for p in (tmp_path / f"shard{k}" / "submissions").iterdir()) for k in (1, 2)]
    assert cloned == [["bob", "lab-alice"], ["carol"]]  # names sorted: bob, carol, lab-alice; round robin
    assert not (tmp_path / "shard1" / "submissions" / "lab-alice" / ".git").exists()
    assert "carol" in (tmp_path / "shard2" / "clone-failures.txt").read_text()
    merged = tmp_path / "grades.csv"
    subprocess.run([*NETLAB, "merge-csv", str(merged), *map(str, gradebooks)],
                   check=True, capture_output=True, timeout=WITHIN)
    totals = {row["submission"]: row["total"] for row in csv.DictReader(merged.open())}
    assert totals == {"Points Possible": "23", "bob": "0", "carol": "0", "lab-alice": "23"}


def dated_repo(path: Path, commits: list[tuple[str, dict[str, str]]]) -> str:
    """A repository whose commits (date, files written) have those commit dates."""
    path.mkdir(parents=True)
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    for when, files in commits:
        for name, text in files.items():
            (path / name).write_text(text)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", when], check=True, env=os.environ | {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})
    return f"file://{path}"


def test_a_classroom_export_and_a_deadline_grade_each_students_last_commit_before_it(tmp_path: Path) -> None:
    """Classroom's assignment export as the roster, a deadline between alice's two commits (the
    later one breaks her udp_server.py), and a student who never linked an account; then the
    merge joins Classroom's CSV (names, no submission) or an LMS class list (the Canvas and
    Moodle files)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    reference = {path.name: path.read_text() for path in REFERENCE.glob("*.py")}
    alice = dated_repo(tmp_path / "repos" / "lab1-alice-gh", [("2026-09-30T12:00:00+00:00", reference),
                                                               ("2026-10-02T12:00:00+00:00", {"udp_server.py": "raise SystemExit(1)\n"})])
    late = dated_repo(tmp_path / "repos" / "lab1-bob-gh", [("2026-10-03T00:00:00+00:00", reference)])
    roster = tmp_path / "grades-lab1.csv"
    roster.write_text("assignment_name,assignment_url,starter_code_url,github_username,roster_identifier,student_repository_name,"
                      "student_repository_url,submission_timestamp,points_awarded,points_available\n"
                      f"lab1,u,s,alice-gh,alice@uni.edu,lab1-alice-gh,{alice},t,0,23\n"
                      f"lab1,u,s,bob-gh,bob@uni.edu,lab1-bob-gh,{late},t,0,23\n")
    clone = subprocess.run([sys.executable, str(GITHUB / "clone_roster.py"), str(roster), "submissions", "--before", "2026-10-01 23:59 +0000"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=WITHIN)
    assert clone.returncode == 0, clone.stderr
    assert "no commit before 2026-10-01 23:59 +0000" in clone.stdout, "bob's only commit is after the deadline"
    assert (tmp_path / "submissions" / "alice-gh" / "udp_server.py").read_text() == (REFERENCE / "udp_server.py").read_text()
    assert (tmp_path / "clone-commits.txt").read_text().startswith("alice-gh\t")
    subprocess.run([*NETLAB, "batch", "submissions", "--csv", "shard.csv", "--results-dir", "results", "--lab", "echo"],
                   cwd=tmp_path, capture_output=True, timeout=WITHIN)
    classroom_roster = tmp_path / "classroom_roster.csv"
    classroom_roster.write_text('"identifier","github_username","github_id","name"\n"alice@uni.edu","alice-gh","1","Alice A"\n'
                                '"bob@uni.edu","bob-gh","2","Bob B"\n"carol@uni.edu","","","Carol C"\n')
    merged = subprocess.run([*NETLAB, "merge-csv", "grades.csv", "shard.csv", "--roster", str(classroom_roster)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=WITHIN)
    assert merged.returncode == 0, merged.stderr
    rows = {row["name"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    assert (rows["Alice A"]["submission"], rows["Alice A"]["total"]) == ("alice-gh", "23"), "her commit before the deadline"
    assert rows["Bob B"]["error"].startswith("nothing to grade") and rows["Carol C"]["error"] == "no submission"
    class_list = tmp_path / "canvas-list.csv"
    class_list.write_text('Student,ID,SIS User ID,SIS Login ID,Section,submission\n"A, Alice",101,S1,alice,Sec 1,alice-gh\n'
                          '"B, Bob",102,S2,bob,Sec 1,bob-gh\n')
    exported = subprocess.run([*NETLAB, "merge-csv", "grades2.csv", "shard.csv", "--roster", str(class_list), "--canvas", "canvas.csv",
                               "--moodle", "moodle.csv"], cwd=tmp_path, capture_output=True, text=True, timeout=WITHIN)
    assert exported.returncode == 0, exported.stderr
    canvas = list(csv.DictReader((tmp_path / "canvas.csv").open()))
    assert [(row["ID"], row["echo"]) for row in canvas if row["ID"]] == [("101", "23"), ("102", "0")]
    assert (tmp_path / "moodle.csv").is_file()
