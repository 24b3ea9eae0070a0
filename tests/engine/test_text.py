"""Text: the one tokenizer (codes kept whole), statement stances, statements as exact spans of
their chunk, and the vocabulary data files (synonyms, generic words, language hints)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.engine.text import vocabulary
from app.engine.text.statements import is_disagreement, split_chunk, stance_of
from app.engine.text.tokens import overlap, stems, tokenize
from app.engine.text.vocabulary import SYNONYM_GROUPS, canonical, expand, spelled_out, synonym_terms
from fakes import chunk

DATA = Path(vocabulary.__file__).parent / "data"


def test_codes_stay_whole_and_also_split_at_the_dot():
    words = tokenize("Myasthenia gravis with exacerbation (ICD-10 G70.01), CPT 90283, HCPCS J1459")
    assert {"g70.01", "g70", "90283", "j1459", "myasthenia"} <= set(words)
    assert "with" not in words  # a stop word
    assert stems("G70.01") & stems("G70") == {"g70"}


def test_words_are_stemmed_and_compared_as_stems():
    assert stems("Exacerbations of myasthenia") == stems("exacerbation myasthenia")
    assert overlap(stems("IVIG exacerbation"), "An exacerbation treated with IVIG") == 1.0
    assert overlap(frozenset(), "anything") == 0.0


@pytest.mark.parametrize(("text", "stance"), [
    ("IVIG is not medically necessary for chronic fatigue syndrome.", "not_covered"),
    ("IVIG for inclusion body myositis is considered experimental, investigational or unproven.", "experimental"),
    ("The USPSTF recommends against PSA-based screening in men 70 years and older.", "against"),
    ("Grade: C. Offer screening to selected men.", "individual"),
    ("Grade: D, screening is not offered.", "against"),
    ("IVIG is covered for CIDP when the criteria below are met.", "covered"),
    ("IVIG is considered medically necessary when ALL of the following are met:", "covered"),
    ("IVIG is recommended for myasthenic crisis.", "recommends"),
    ("The evidence is insufficient to assess the balance of benefits and harms.", "insufficient"),
    ("IVIG is given in a hospital infusion center.", "neutral"),
])
def test_the_stance_of_typical_statements(text, stance):
    assert stance_of(text) == stance


def test_a_section_colours_a_neutral_statement():
    assert stance_of("Routine antibiotics for acute bronchitis.", "Recommends against") == "against"
    assert stance_of("Doses above 2 g/kg per course.", "Limitations") == "limit"


def test_statements_are_exact_spans_of_their_chunk():
    text = ("Induction is 2 g/kg over 2 to 5 days.  Maintenance is 0.4 g/kg every 3 weeks; taper when stable.\n"
            "- Reassess at 100.1 days? Continue if improved!\n- IVIG is not covered after 4 weeks.")
    c = chunk("ivig", text, section="Dosing")
    statements = split_chunk(c)
    assert [s.text for s in statements] == [
        "Induction is 2 g/kg over 2 to 5 days.",
        "Maintenance is 0.4 g/kg every 3 weeks;",  # never split inside 0.4
        "taper when stable.",
        "Reassess at 100.1 days?",
        "Continue if improved!",
        "IVIG is not covered after 4 weeks.",  # the list marker is not quoted
    ]
    for s in statements:
        assert c.text[s.start:s.start + len(s.text)] == s.text and s.chunk is c
    assert statements[-1].stance == "not_covered"


def test_fragments_too_short_to_quote_are_not_statements():
    assert split_chunk(chunk("d", "See above. 12.5 mg. Done.")) == []


def test_where_sources_disagree_is_not_a_conflict_of_interest():
    assert is_disagreement("IVIG review > Where sources disagree")
    assert not is_disagreement("Guideline > Conflicts of interest")


@pytest.mark.parametrize("name", ["synonyms.yaml", "generic_words.yaml", "language_hints.yaml"])
def test_each_vocabulary_file_loads_and_names_its_source(name):
    path = DATA / name
    assert yaml.safe_load(path.read_text(encoding="utf-8"))
    header = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    assert re.search(r"\bSource: \S", "\n".join(header)), f"{name} names no source in its header comment"


def test_every_synonym_group_is_named_by_its_first_spelling():
    assert len(SYNONYM_GROUPS) > 50
    for group in SYNONYM_GROUPS:
        assert all(term == term.lower() for term in group), group
        for term in group:
            assert canonical(term) == group[0], (term, group)


def test_vocabulary_lists_load_as_word_sets():
    assert {"patient", "covered", "should"} <= vocabulary.GENERIC
    assert "the" in vocabulary.ENGLISH_HINTS and "paciente" in vocabulary.FOREIGN_HINTS
    assert "ivig" not in vocabulary.GENERIC


def test_expand_adds_every_other_spelling_of_a_named_term():
    expanded = expand("Is Repatha covered?")
    assert expanded.startswith("Is Repatha covered? ")
    assert {"evolocumab", "pcsk9"} <= set(expanded.split())
    assert expand("Is the sky blue?") == "Is the sky blue?"


def test_canonical_names_and_term_lookup():
    assert canonical("Plasmapheresis") == canonical("PLEX") == "plex"
    assert canonical("unknown thing") == "unknown thing"
    assert synonym_terms("IVIG or plasma exchange for MG") == ["ivig", "mg", "plasma exchange"]
    assert "mg" not in synonym_terms("sertraline 150 mg daily")  # milligrams, not myasthenia gravis


def test_abbreviations_are_spelled_out_for_the_encoder():
    assert spelled_out("Is CPAP covered?") == "Is CPAP covered? (continuous positive airway pressure)"
    assert spelled_out("Is the sky blue?") == "Is the sky blue?"
