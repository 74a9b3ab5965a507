"""The mutation test of the framework pages' twin checks (`nox -s mutate`, ~10 min: not part of docs-test) still
applies: every mutation's replacements occur exactly once in their block, so a page edit cannot silently retire one."""

from tests.mutations import frameworks


def test_every_framework_mutation_still_applies_to_its_page():
    assert len(frameworks.MUTATIONS) > 100
    assert frameworks.problems(frameworks.MUTATIONS) == []
