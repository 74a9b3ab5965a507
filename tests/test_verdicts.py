"""The reuse of passing verdicts (tests/verdicts.py) is only as good as its key: it must change with every input."""

from __future__ import annotations

from types import SimpleNamespace

from tests import verdicts
from verified import arithmetic


def test_project_build_key_changes_with_the_test_file_its_name_the_packages_and_the_tools(tmp_path, monkeypatch):
    monkeypatch.delenv(arithmetic.VARIABLE, raising=False)
    test_file = tmp_path / "test_x.py"
    test_file.write_text("def test_a(): pass\n")
    before = verdicts.project_build_key(test_file, "test_a")
    assert verdicts.project_build_key(test_file, "test_a") == before  # stable: the same inputs, the same key
    assert verdicts.project_build_key(test_file, "test_b") != before
    test_file.write_text("def test_a(): assert 1\n")
    assert verdicts.project_build_key(test_file, "test_a") != before
    test_file.write_text("def test_a(): pass\n")
    real = list(verdicts.distributions())
    monkeypatch.setattr(verdicts, "distributions", lambda: [*real, SimpleNamespace(metadata={"Name": "extra"}, version="1.0")])
    assert verdicts.project_build_key(test_file, "test_a") != before
    monkeypatch.setattr(verdicts, "distributions", lambda: real)
    assert verdicts.project_build_key(test_file, "test_a") == before
    monkeypatch.setenv(arithmetic.VARIABLE, "threads=2")  # another arithmetic: a verdict is not carried over
    assert verdicts.project_build_key(test_file, "test_a") != before
    monkeypatch.delenv(arithmetic.VARIABLE)
    assert verdicts.project_build_key(test_file, "test_a") == before
    monkeypatch.setattr(verdicts, "TOOLS", [*verdicts.TOOLS, "python3"])
    assert verdicts.project_build_key(test_file, "test_a") != before
    monkeypatch.setattr(verdicts, "TOOLS", verdicts.TOOLS[:-1])
    monkeypatch.setattr(verdicts, "PROJECT_INPUTS", [*verdicts.PROJECT_INPUTS, str(tmp_path)])
    (tmp_path / "render.js").write_text("// one renderer\n")
    with_folder = verdicts.project_build_key(test_file, "test_a")
    (tmp_path / "render.js").write_text("// another renderer\n")  # a non-Python input of the engine, say
    assert verdicts.project_build_key(test_file, "test_a") != with_folder


def test_a_recorded_pass_is_reused_unless_a_fresh_run_is_asked_for(tmp_path, monkeypatch):
    monkeypatch.delenv("VERIFIED_FRESH", raising=False)  # the suite itself may run under VERIFIED_FRESH=1 (README)
    monkeypatch.setattr(verdicts, "FOLDER", tmp_path)
    node = SimpleNamespace(user_properties=[])
    assert not verdicts.passed_before("check", "k", node)
    verdicts.record_pass("check", "k")
    assert verdicts.passed_before("check", "k", node)
    assert not verdicts.passed_before("check", "other-key", node)
    monkeypatch.setenv("VERIFIED_FRESH", "1")
    assert not verdicts.passed_before("check", "k", node)
    assert [value for _, value in node.user_properties] == ["run", "from cache", "run", "run"]
