"""`benchmarks/attach_downstream.py`: a results file may give only some of its arms
(`PATH:ARM,ARM`), so a new LM's rows sit beside an earlier run's controls without mixing LMs."""

import pathlib

import pytest

from tests.helpers import load_script

ROOT = pathlib.Path(__file__).parents[1]
V6 = ROOT / "benchmarks" / "label_efficiency_text_v6.json"


@pytest.fixture(scope="module")
def attach():
    return load_script(ROOT / "benchmarks" / "attach_downstream.py")


def test_arms_are_taken_from_a_file_as_asked(attach):
    whole = attach.read_results(str(V6))
    some = attach.read_results(f"{V6}:scratch,tfidf_char")
    assert {r["arm"] for r in some["runs"]} == {"scratch", "tfidf_char"}
    assert some["runs"] == [r for r in whole["runs"] if r["arm"] in ("scratch", "tfidf_char")]
    summary = attach.summarize(some)
    assert all("scratch" in text and "(tfidf_char" in text and "pretrained" not in text for text in summary.values())


def test_an_arm_the_file_lacks_is_refused_by_name(attach):
    with pytest.raises(SystemExit, match="ulmfit"):
        attach.read_results(f"{V6}:scratch,ulmfit")
