"""Component keys, role codes from names and matching headers to roles."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.sheets import SheetTask, component_keys, match_header, role_code_from_name

KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")


def task(name: str, group: str | None = None, key: str | None = None) -> SheetTask:
    return SheetTask(name=name, group=group, key=key, line=1)


def test_keys_are_slugs_of_the_tasks_unicode_aware() -> None:
    tasks = [
        task("Validation s\u00e9curit\u00e9"),
        task("\u6570\u636e\u6cbb\u7406"),
        task("  **Go-live**  "),
    ]
    assert component_keys(tasks) == ["validation-securite", "shu-ju-zhi-li", "go-live"]


def test_a_key_column_gives_the_key() -> None:
    tasks = [
        task("Moteur NLU", key="nlu"),
        task("CRM feed", key="CRM.Feed"),
        task("Odd", key="Not a key!"),
    ]
    assert component_keys(tasks) == ["nlu", "crm.feed", "not-a-key"]


def test_a_task_with_nothing_to_slug_gets_its_place() -> None:
    assert component_keys([task("ok"), task("!!!"), task("\U0001f680")]) == [
        "ok",
        "task-2",
        "task-3",
    ]


def test_the_same_task_under_two_groups_gets_its_group_in_its_key() -> None:
    tasks = [
        task("Triggering", "PLANNING PHASE"),
        task("Maintenance", "PLANNING PHASE"),
        task("Triggering", "RUN PHASE"),
    ]
    assert component_keys(tasks) == [
        "planning-phase-triggering",
        "maintenance",
        "run-phase-triggering",
    ]


def test_keys_still_shared_get_a_suffix_and_key_column_values_keep_theirs() -> None:
    tasks = [task("nlu"), task("NLU!"), task("Anything", key="nlu"), task("nlu 2")]
    assert component_keys(tasks) == ["nlu-2", "nlu-3", "nlu", "nlu-2-2"]


def test_long_keys_are_cut_to_64_characters_and_stay_distinct() -> None:
    keys = component_keys([task("x" * 100), task("x" * 100 + " y"), task("x" * 100)])
    assert [len(key) for key in keys] == [64, 64, 64]
    assert len(set(keys)) == 3
    assert all(KEY.match(key) for key in keys)


@given(
    st.lists(
        st.tuples(
            st.text(max_size=80), st.none() | st.text(max_size=20), st.none() | st.text(max_size=70)
        ),
        max_size=30,
    )
)
def test_keys_are_always_valid_distinct_and_deterministic(
    rows: list[tuple[str, str | None, str | None]],
) -> None:
    tasks = [task(name, group, key) for name, group, key in rows]
    keys = component_keys(tasks)
    assert len(keys) == len(tasks)
    assert len(set(keys)) == len(keys)
    assert all(KEY.match(key) for key in keys), keys
    assert component_keys(tasks) == keys


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Project Manager", "PM"),
        ("Programme Lead", "PL"),
        ("Senior Team Lead", "STL"),
        ("Head of IT", "HIT"),
        ("QA", "QA"),
        ("cio", "CIO"),
        ("**Tech Lead**", "TL"),
        ("D\u00e9veloppeur", "DEVELOPPEUR"),
        ("Responsable S\u00e9curit\u00e9 Informatique", "RSI"),
        ("\u6570\u636e\u6cbb\u7406", "SJZL"),
        ("2nd Line Support", "R2LS"),
        ("X", "ROLE_X"),
        ("???", "ROLE"),
        ("supercalifragilisticexpialidocious", "SUPERCALIFRAGILI"),
    ],
)
def test_role_codes_from_names(name: str, code: str) -> None:
    assert role_code_from_name(name, set()) == code


def test_a_taken_code_gets_a_number_and_taken_is_left_alone() -> None:
    taken = {"TL", "tl_2"}
    assert role_code_from_name("Team Lead", taken) == "TL_3"
    assert taken == {"TL", "tl_2"}
    assert (
        role_code_from_name("supercalifragilisticexpialidocious", {"SUPERCALIFRAGILI"})
        == "SUPERCALIFRAGI_2"
    )


@given(st.text(max_size=60), st.sets(st.from_regex(CODE, fullmatch=True), max_size=5))
def test_role_codes_are_always_valid_and_free(name: str, taken: set[str]) -> None:
    code = role_code_from_name(name, taken)
    assert CODE.match(code)
    assert code not in taken


ROLES = {
    "CIO": "Chief Information Officer",
    "PM": "Project Manager",
    "SEC": "S\u00e9curit\u00e9",
    "X1": "Shared name",
    "X2": "shared NAME",
}


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("CIO", "CIO"),
        ("cio", "CIO"),
        ("**CIO**", "CIO"),
        ("Project  manager", "PM"),
        ("_Project Manager_", "PM"),
        ("SECURITE", "SEC"),
        ("s\u00e9curit\u00e9", "SEC"),
        ("CIO (Chief Information Officer)", "CIO"),
        ("Chief Information Officer (CIO)", "CIO"),
        ("Shared name", None),
        ("nobody", None),
        ("", None),
    ],
)
def test_headers_match_roles_by_code_or_name(header: str, code: str | None) -> None:
    assert match_header(header, ROLES) == code
