"""Synonym expansion for the word index and spelled-out abbreviations for the dense encoder."""

from app.engine.text.vocabulary import expand, spelled_out


def test_a_pap_smear_is_cervical_cytology_not_positive_airway_pressure():
    expanded = expand("Should we do a Pap smear on a 19-year-old?").lower()
    assert "cervical cytology" in expanded
    assert "positive airway pressure" not in expanded and "cpap" not in expanded
    assert "positive airway pressure" in expand("Is bilevel PAP covered?").lower()


def test_one_word_abbreviations_are_spelled_out_once_for_the_encoder():
    assert spelled_out("Should we start combined HRT?") == "Should we start combined HRT? (hormone replacement therapy)"
    assert spelled_out("IVIG for MG?") == "IVIG for MG? (intravenous immune globulin; myasthenia gravis)"
    # a long form already in the question is not repeated; a question without abbreviations is unchanged
    assert spelled_out("IVIG (intravenous immune globulin) dose?") == "IVIG (intravenous immune globulin) dose?"
    assert spelled_out("Is knee arthroscopy covered?") == "Is knee arthroscopy covered?"


def test_milligrams_after_a_number_are_not_myasthenia_gravis():
    assert "myasthenia gravis" not in expand("She takes sertraline 150 mg daily.").lower()
    assert "myasthenia gravis" not in expand("aspirin 81mg").lower()
    assert spelled_out("Is sertraline 150 mg safe in pregnancy?") == "Is sertraline 150 mg safe in pregnancy?"
    # the disease itself is still read, next to a dose
    assert "myasthenia gravis" in expand("IVIG 2 g/kg for refractory MG, prednisone 20 mg").lower()


def test_clinical_abbreviations_reach_the_words_guidelines_use():
    assert spelled_out("Is it time to start an ESA?") == "Is it time to start an ESA? (erythropoiesis-stimulating agent)"
    assert "chronic kidney disease" in expand("stage 4 CKD").lower()
    assert "ocular" in expand("Does the baby need eye ointment?").lower()
    assert "electrocardiography" in expand("Is a screening EKG recommended?").lower()


def test_brand_names_and_clinical_shorthand_reach_the_generic_words():
    assert "ezetimibe" in expand("Should I add Zetia?").lower()
    assert "epicondylosis" in expand("splint for tennis elbow").lower()
    assert "urine drug test" in expand("baseline UDT positive").lower()
    assert "buprenorphine" not in expand("tramadol").lower()  # a brand joins its own drug, not the class


def test_a_capitalised_pap_alone_is_the_cervical_test():
    assert "cervical cytology" in expand("Her Pap isn't due this year.").lower()
    assert "positive airway pressure" not in expand("Her Pap isn't due this year.").lower()
