"""Names the documents write (qa.names): a question naming one is declined as not in the report,
not as off topic; a clause that states the answer of the subject a question asks about; and a
person the question names, however spelt, is no answer to "who"."""

from __future__ import annotations

import pytest

from qa import strings
from qa.glossary import Glossary, default_glossary_path
from qa.names import names_one, proper_names, spelled_alike
from qa.signals import carries_type, names_subject


@pytest.fixture(scope="module")
def glossary():
    return Glossary.load(default_glossary_path())


@pytest.fixture(scope="module")
def names(passages, glossary):
    return proper_names(([s.text for s in p.sentences] for p in passages), glossary)


def test_the_documents_names_are_acronyms_and_words_never_written_in_lower_case(names):
    assert {"TDT", "MİT", "CARICC", "Europol", "Caparov", "Bern", "Türk Devletleri", "Bern Kulübü"} <= names
    # Places, words also written in lower case, and the documents' subject as a whole are no names.
    assert not {"Ankara", "Kazakistan", "Türk", "Devletleri", "İstihbarat"} & names
    # Ordinary words that a name capitalises ("İkinci Dünya Savaşı"), as the glossary tells.
    assert not {"Dünya", "Savaş", "Kuzey", "Cumhurbaşkanı", "Mayıs"} & names


def test_the_glossary_spells_names_in_english_and_lists_glosses(glossary):
    assert glossary.named("OTS") == ["tdt"] and glossary.named("Berne") == ["bern"]
    assert glossary.named("World") == [] and glossary.named("ots") == []
    assert "world" in glossary.glosses("Dünya")


def test_a_name_counts_as_the_first_word_too():
    names = frozenset({"Europol", "Bern Kulübü"})
    glossary = Glossary([])
    assert names_one("Bern Kulübü hangi yıl kuruldu?", names, glossary)
    assert names_one("Europol ne zaman kuruldu?", names, glossary)
    assert not names_one("Bern hangi ülkenin başkenti?", names, glossary)


@pytest.mark.parametrize(("question", "expected"), [
    ("MİT'in yıllık bütçesi ne kadar?", True),
    ("What is the budget of the OTS?", True),  # OTS is the report's TDT, through the glossary
    ("Who chairs the Berne Club?", True),
    ("Türk Devletleri Teşkilatı'nın şu anki Genel Sekreteri kim?", True),
    ("Ankara'dan İzmir'e en hızlı nasıl gidilir?", False),
    ("İkinci dereceden denklem nasıl çözülür?", False),  # "ikinci" is glossed "second"
    ("Europol ne zaman kuruldu?", True),
    ("Who is the coach of the Turkish national football team?", False),
    ("Who won the 2018 football World Cup?", False),  # "world" glosses the report's "dünya"
    ("Dünya Kupası'nı 2018'de kim kazandı?", False),
])
def test_questions_naming_the_documents_names(names, glossary, question, expected):
    assert names_one(question, names, glossary) is expected


@pytest.mark.parametrize(("question", "lang"), [
    ("MİT'in yıllık bütçesi ne kadar?", "tr"),
    ("What is the budget of the OTS?", "en"),
])
def test_a_question_about_a_name_of_the_report_is_declined_as_not_in_it(engine, question, lang):
    """Far from every sentence by its words, but about something the report names: the report
    does not say, which is not the same as the question not being about the report."""
    answer = engine.ask(question)
    assert not answer.answered and answer.declined == "not_in_report"
    assert answer.answer == strings.CANNOT_ANSWER[lang]


def test_a_first_clause_the_question_names_is_the_subject_of_the_others():
    assert names_subject("Türk devletleri arasındaki güvenlik iş birliği",
                         "Türk devletleri arasındaki güvenlik iş birliği hangi yıl başladı?")
    # "This process's intelligence side" is not the CIS conference a question asks about.
    assert not names_subject("Bu sürecin istihbarat boyutu",
                             "When did the CIS intelligence chiefs' conference first meet? BDT istihbarat konferans")


def test_a_year_stated_of_the_asked_subject_across_a_comma_answers(engine):
    answer = engine.ask("Türk devletleri arasındaki güvenlik iş birliği hangi yıl başladı?")
    assert answer.answered and "1992" in answer.citations[0].sentence.text


def test_a_name_spelled_in_english_is_the_same_name():
    assert spelled_alike("Caparov’un", "Japarov")
    assert spelled_alike("Sadır", "Sadyr")
    assert spelled_alike("İnandı", "Inandi")
    assert not spelled_alike("Aliyev", "Caparov")
    assert not spelled_alike("İlham", "Islam")


@pytest.mark.parametrize("question", [
    "Who chaired the 2022 meeting attended by Japarov?",
    "Who met Sadyr Japarov in 2022?",
    "Caparov 2022'de kiminle görüştü?",
])
def test_a_person_the_question_names_is_no_answer_to_who(question):
    """"Who … Japarov?" is not answered by "Sadır Caparov", whichever of his names the question
    writes and however it spells them."""
    sentence = "Kırgızistan Cumhurbaşkanı Sadır Caparov’un 2022 yılında, benzer bir toplantıda yaptığı vurgu"
    assert not carries_type("person", sentence, question)
    assert carries_type("person", sentence, "Who was Kyrgyzstan's president in 2022?")


def test_who_met_the_person_the_question_names_is_declined(engine):
    answer = engine.ask("Who chaired the 2022 intelligence meeting attended by Japarov?")
    assert not answer.answered and answer.declined == "not_in_report"
