"""parse_letters and canonical_letters: the contract of a RACI cell value."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.sheets import LetterError, ParsedCell, canonical_letters, parse_letters


@pytest.mark.parametrize(
    ("text", "letters"),
    [
        ("A", "A"),
        ("r", "R"),
        ("RA", "AR"),
        ("a/r", "AR"),
        ("A / R", "AR"),
        ("C/I", "CI"),
        ("R/A/C", "ARC"),
        ("r, a", "AR"),
        ("R+A", "AR"),
        ("R & A", "AR"),
        ("R A", "AR"),
        ("RR", "R"),
        ("r/R", "R"),
        ("**A**", "A"),
        ("*R*", "R"),
        ("__C__", "C"),
        ("_I_", "I"),
        ("**R**/A", "AR"),
        ("VIC SRA", "ARSCIV"),
        ("S", "S"),
        ("v", "V"),
        ("\uff21", "A"),  # FULLWIDTH LATIN CAPITAL LETTER A
        ("\uff52\uff0f\uff41", "AR"),  # full-width r / a
        ("A\u200b", "A"),  # ZERO WIDTH SPACE
        ("\ufeffR\u2060", "R"),  # BOM, WORD JOINER
        ("\u200cC\u200d", "C"),
        ("\u0410", "A"),  # CYRILLIC CAPITAL LETTER A
        ("\u0430", "A"),  # CYRILLIC SMALL LETTER A
        ("\u0421", "C"),  # CYRILLIC CAPITAL LETTER ES
        ("\u0441", "C"),
        ("\u0406", "I"),  # CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I
        ("\u0456", "I"),
        ("\u0391", "A"),  # GREEK CAPITAL LETTER ALPHA
        ("\u0399", "I"),  # GREEK CAPITAL LETTER IOTA
        ("\u03b9", "I"),  # GREEK SMALL LETTER IOTA
        ("R/\u0410", "AR"),
        ("\u00a0A\u00a0", "A"),  # NO-BREAK SPACE around
    ],
)
def test_letters_are_read_as_their_canonical_set(text: str, letters: str) -> None:
    assert parse_letters(text) == ParsedCell(letters, None)


@pytest.mark.parametrize(
    ("text", "letters", "note"),
    [
        ("R/A (platform)", "AR", "platform"),
        ("C (approves)", "C", "approves"),
        ("**A** (signs off)", "A", "signs off"),
        ("I [weekly]", "I", "weekly"),
        ("R (see (x) first)", "R", "see (x) first"),
        ("A ()", "A", None),
    ],
)
def test_a_trailing_note_in_brackets_is_kept(text: str, letters: str, note: str | None) -> None:
    assert parse_letters(text) == ParsedCell(letters, note)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "-", "\u2013", "\u2014", "N/A", "n/a", "N/a", "**-**", " - ", "- (not involved)"],
)
def test_markers_of_no_involvement_are_no_cell(text: str) -> None:
    assert parse_letters(text) is None


def test_an_unknown_letter_is_refused_with_the_value() -> None:
    with pytest.raises(LetterError) as caught:
        parse_letters("R/X")
    assert caught.value.value == "R/X"
    assert caught.value.msg.startswith(
        "'R/X' is not a set of RACI letters: 'X' is not a RACI letter"
    )


def test_a_refused_non_ascii_character_is_named_by_code_point() -> None:
    with pytest.raises(LetterError) as caught:
        parse_letters("R\u0416")
    assert "'\u0416' (U+0416 CYRILLIC CAPITAL LETTER ZHE) is not a RACI letter" in caught.value.msg
    assert caught.value.msg.startswith("'R\u0416' is not a set of RACI letters")


def test_every_refused_character_is_named_once() -> None:
    with pytest.raises(LetterError) as caught:
        parse_letters("\u0416\u00e9\u0416x")
    msg = caught.value.msg
    assert msg.count("U+0416 CYRILLIC CAPITAL LETTER ZHE") == 1
    assert "'\u00e9' (U+00E9 LATIN SMALL LETTER E WITH ACUTE)" in msg
    assert "'x'" in msg
    assert "are not RACI letters" in msg


@pytest.mark.parametrize("text", ["/", "(platform)", "Responsible", "AR!", "1", "R.A"])
def test_values_without_letters_or_with_other_text_are_refused(text: str) -> None:
    with pytest.raises(LetterError) as caught:
        parse_letters(text)
    assert repr(text) in caught.value.msg


def test_parsed_cells_are_shared_between_calls() -> None:
    assert parse_letters("a/r") is parse_letters("a/r")


@pytest.mark.parametrize(
    ("letters", "canonical"),
    [
        (["R", "A"], "AR"),
        ("ra", "AR"),
        ({"AR", "C"}, "ARC"),
        ("VISCRA", "ARSCIV"),
        (["i", "I"], "I"),
    ],
)
def test_canonical_letters_orders_a_r_s_c_i_v(letters: object, canonical: str) -> None:
    assert canonical_letters(letters) == canonical  # type: ignore[arg-type]


@pytest.mark.parametrize("letters", [[], "", ["X"], "R/A", ["\u0410"]])
def test_canonical_letters_refuses_anything_but_letters(letters: object) -> None:
    with pytest.raises(LetterError):
        canonical_letters(letters)  # type: ignore[arg-type]


@given(
    letters=st.sets(st.sampled_from("ARSCIV"), min_size=1),
    data=st.data(),
)
def test_any_spelling_of_a_set_reads_as_that_set(letters: set[str], data: st.DataObject) -> None:
    order = data.draw(st.permutations(sorted(letters)))
    spelled = [data.draw(st.sampled_from([letter, letter.lower()])) for letter in order]
    separators = data.draw(
        st.lists(
            st.sampled_from(["", "/", " / ", ",", ", ", "+", " & ", " "]),
            min_size=len(spelled),
            max_size=len(spelled),
        )
    )
    text = "".join(part + sep for part, sep in zip(spelled, separators, strict=True)).strip("/,+& ")
    if data.draw(st.booleans()):
        text = f"**{text}**"
    parsed = parse_letters(text)
    assert parsed is not None
    assert set(parsed.letters) == letters
    assert parsed.letters == canonical_letters(letters)
