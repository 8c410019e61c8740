"The talking-heads command and the reproduce runner, end to end."
import json
from pathlib import Path

from conftest import ROOT, run_cli


def test_help():
    r = run_cli("--help")
    assert r.returncode == 0 and "reproduce" in r.stdout


def test_list_shows_parameters_per_profile():
    r = run_cli("reproduce", "--list")
    assert r.returncode == 0, r.stderr
    assert "audio_frontend" in r.stdout and "quick:" in r.stdout and '"clips": "all"' in r.stdout


def test_smoke_profile_writes_report(tmp_path):
    r = run_cli("reproduce", "--profile", "smoke", "--only", "audio_frontend", "--out", tmp_path / "reports")
    assert r.returncode == 0, r.stdout + r.stderr
    d = tmp_path / "reports" / "smoke"
    index = (d / "index.md").read_text()
    assert "audio_frontend/timeline_" in index and "| clip | voice |" in index and "real-time factor" in index
    assert (d / "index.html").exists()
    exp = d / "audio_frontend"
    env = json.loads((exp / "env.json").read_text())
    assert env["status"] == "ok" and env["packages"]["torch"] and env["wall_seconds"] > 0 and "git_commit" in env
    assert json.loads((exp / "metrics.json").read_text())["n_clips"] == 2
    assert (exp / "audio_frontend.ipynb").exists()
    assert str(d) in r.stdout                      # it says where the report is


def test_failure_is_reported_and_others_run(tmp_path):
    exps = tmp_path / "exps"; exps.mkdir()
    def nb(name, body):
        cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "out_dir = None\n", "outputs": [], "execution_count": None},
                 {"cell_type": "code", "metadata": {}, "source": body, "outputs": [], "execution_count": None}]
        (exps / name).write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "python3", "language": "python"}},
                                             "nbformat": 4, "nbformat_minor": 5}))
    nb("a.ipynb", "raise ValueError('broken on purpose')\n")
    nb("b.ipynb", "from talking_heads.report import ExperimentOutput\nExperimentOutput(out_dir).metrics(ok=1)\n")
    (exps / "manifest.toml").write_text('[experiments.a]\nnotebook = "a.ipynb"\n[experiments.b]\nnotebook = "b.ipynb"\n')
    r = run_cli("reproduce", "--profile", "smoke", "--manifest", exps / "manifest.toml", "--out", tmp_path / "rep")
    assert r.returncode == 1
    assert "broken on purpose" in r.stdout and "1 ok, 1 failed: a" in r.stdout
    assert json.loads((tmp_path / "rep/smoke/b/metrics.json").read_text()) == {"ok": 1}


def test_bad_arguments():
    r = run_cli("reproduce", "--only", "no_such_experiment")
    assert r.returncode == 2 and "unknown experiments ['no_such_experiment']" in r.stderr
    r = run_cli("reproduce", "--profile", "huge")
    assert r.returncode == 2 and "invalid choice" in r.stderr
