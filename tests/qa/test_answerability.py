"""Issue 11: declining what the report does not answer, off-topic vs not-in-report, answer selection."""

from __future__ import annotations

import json

import pytest

from qa import strings
from qa.answerability import FEATURES, AnswerabilityModel, Features, fit, is_junk, knows_a_word
from qa.broad import is_broad
from qa.signals import (
    asked_post,
    carries_type,
    clauses,
    defines,
    expansion_asked,
    expected_type,
    is_yes_no,
    number_missing,
    table_numbers,
)


@pytest.mark.parametrize(("question", "kind"), [
    ("1998 protokolü hangi tarihte imzalandı?", "date"),
    ("When was the UKUSA Pact?", "date"),
    ("In which year was the Hybrid Fusion Cell set up?", "date"),
    ("What happens when the base of trust weakens?", None),
    # What usually happens asks for a condition, not a date; what happened asks for a date.
    ("When does cooperation with training support usually arise?", None),
    ("Eğitim desteği de içeren iş birliği ne zaman ortaya çıkar?", None),
    ("Güven ne zaman azalmaz?", None),
    ("Protokol ne zaman imzalanmıştır?", "date"),
    ("Konferans ilk kez ne zaman toplandı?", "date"),
    ("ABD Japonya'da kaç ayrı tesiste faaliyet yürütüyor?", "number"),
    ("How many civilians died?", "number"),
    ("Who received the intelligence chiefs in Baku?", "person"),
    ("Who is Orhan Inandi?", None),
    ("Orhan İnandı kimdir?", None),
    # The holder of a post is a person: "Who was X's president", "… cumhurbaşkanı kimdi?".
    ("Who was Azerbaijan's president when the protocol was signed?", "person"),
    ("Protokol imzalandığında Azerbaycan'ın cumhurbaşkanı kimdi?", "person"),
    ("KNB'nin başkanı kimdir?", "person"),
    ("Millî İstihbarat Teşkilatı'nın başkanı kim?", "person"),
    # A quantity named asks for a number.
    ("What is the population of Kazakhstan?", "number"),
    ("Kazakistan'ın nüfusu nedir?", "number"),
    ("Daimî Sekretarya nerede kuruldu?", "place"),
    ("Where is Pine Gap?", "place"),
    ("In which Azerbaijani city was the network uncovered?", "city"),
    ("Ağ hangi Azerbaycan şehrinde ortaya çıkarıldı?", "city"),
    ("DEAŞ’ın yeni yapılanması hangi ülkede ortaya çıkarıldı?", "country"),
    ("In which country was the structure uncovered?", "country"),
    ("1998 protokolünü hangi ülkeler imzaladı?", "names"),
    ("Five Eyes nedir?", None),
    # A list of names, with words between "hangi" / "which" and the countries.
    ("Fransa terör izleme verilerini hangi Kuzey Afrika ülkelerine verdi?", "names"),
    ("Which Central Asian states signed it?", "names"),
    # The day, not just the year: "2009 Nahçıvan Anlaşması" does not say on which day.
    ("On what exact date was the Nakhchivan Agreement signed?", "day"),
    ("Nahçıvan Anlaşması tam olarak hangi gün imzalandı?", "day"),
    ("On what date was the 1998 protocol signed?", "date"),
    # A month, not just a date: the year alone does not answer it.
    ("In which month of 2019 did the chiefs meet in Baku?", "month"),
    ("İstihbarat başkanları 2019'da hangi ayda toplandı?", "month"),
    # A named body: an agency, a service, an organisation.
    ("Which agency did Danish intelligence share Baltic traffic with?", "body"),
    ("Danimarka servisi Baltık trafiğini hangi kurumla paylaştı?", "body"),
    ("Türkmenistan'ın istihbarat servisinin adı nedir?", "body"),
    ("What is the name of the conference?", "body"),
    # "kurumsallaşma" is no body.
    ("Hangi adımlar kurumsallaşmaya zemin hazırladı?", None),
])
def test_expected_answer_type(question, kind):
    assert expected_type(question) == kind


def test_a_sentence_carries_the_type_only_with_something_the_question_does_not_name():
    sentence = "Bu sürecin istihbarat boyutu, 20 Mayıs 1998 tarihinde Azerbaycan … tarafından imzalanan protokol"
    assert carries_type("date", sentence, "Protokol ne zaman imzalandı?")
    assert not carries_type("date", "BRUSA Anlaşması, II. Dünya Savaşı’nda akdedildi.", "BRUSA hangi yıl imzalandı?")
    assert not carries_type("date", "2019 yılında Bakü’de toplandılar.", "2019'da ne oldu, hangi yıl?")
    # A month question wants a month name the question lacks; a year is not enough.
    assert not carries_type("month", "2019 yılında Bakü’de toplandılar.", "2019'da hangi ay toplandılar?")
    assert carries_type("month", "20 Mayıs 1998 tarihinde imzalanan protokol", "Protokol hangi ay imzalandı?")
    assert carries_type("month", "The protocol was signed in May 1998.", "In which month was it signed?")
    assert not carries_type("month", "They may meet in 2019.", "In which month did they meet?")
    # The holder of a post has that post's title: a president does not head a secretariat.
    received = "İstihbarat başkanlarının Bakü’de Azerbaycan Cumhurbaşkanı İlham Aliyev tarafından kabul edilmesi"
    assert carries_type("person", received, "Who received the intelligence chiefs?")
    assert carries_type("person", received, "Who was Azerbaijan's president then?")
    assert not carries_type("person", received, "Who heads the permanent secretariat?")
    assert not carries_type("person", received, "Millî İstihbarat Teşkilatı'nın başkanı kim?")
    # A day question wants the day of the month.
    assert carries_type("day", "20 Mayıs 1998 tarihinde imzalanan protokol", "Tam olarak hangi gün imzalandı?")
    assert carries_type("day", "It was signed on May 20, 1998.", "On what exact date was it signed?")
    assert not carries_type("day", "2009 Nahçıvan Anlaşması ile kurumsallaşmış", "Tam olarak hangi gün imzalandı?")
    assert not carries_type("day", "The protocol was signed in May 1998.", "On what exact date was it signed?")
    # A year is not a count; "en az 70 sivil" is.
    assert not carries_type("number", "2015 yılında F-16’lar vurdu.", "Kaç kişi öldü?")
    assert carries_type("number", "en az 70 sivilin hayatını kaybetmesi", "Kaç kişi öldü?")
    # A day of the month is part of a date, not a count.
    assert not carries_type("number", "20 Mayıs 1998 tarihinde imzalanan protokol", "What is the annual budget?")
    assert carries_type("number", "20 Mayıs 1998 tarihinde imzalanan 5 protokol", "How many protocols?")
    assert carries_type("person", "Azerbaycan Cumhurbaşkanı İlham Aliyev tarafından kabul", "Who received them?")
    assert carries_type("place", "Daimî Sekretaryasının Ankara’da kurulması", "Where is the secretariat?")
    assert not carries_type("place", "Sadır Caparov’un 2022 yılında yaptığı vurgu", "In which city did he speak?")


def test_a_city_a_country_and_a_place_are_told_apart():
    sentence = "Bunun yanında, DEAŞ’ın Azerbaycan’daki yeni yapılanmasının ortaya çıkarılması ve Kazakistan ile"
    # One country is asked for, not a list of two: Azerbaycan answers it.
    assert carries_type("country", sentence, "DEAŞ’ın yeni yapılanması hangi ülkede ortaya çıkarıldı?")
    assert carries_type("country", "Kazakistan özellikle Hazar Denizi kıyı güvenliğinde", "Hangi ülke öne çıkıyor?")
    # A country does not answer "which city"; a city does, in any case.
    assert not carries_type("city", sentence, "Hangi şehirde ortaya çıkarıldı?")
    assert carries_type("city", "Daimî Sekretaryasının Ankara’da kurulması", "Which city hosts it?")
    assert carries_type("city", "Toplantı Bakü ev sahipliğinde yapıldı.", "Which city hosted it?")
    assert carries_type("place", "Daimî Sekretaryasının Ankara’da kurulması", "Where is it?")


def test_a_body_is_an_acronym_or_a_capitalised_name_that_is_no_place():
    question = "Which agency did Danish intelligence share Baltic traffic with?"
    assert carries_type("body", "Danimarka servisinin, ABD Ulusal Güvenlik Ajansı (NSA) ile paylaştığı", question)
    # Places are no bodies, nor is what the question names.
    assert not carries_type("body", "Bu protokol Azerbaycan, Kazakistan ve Türkiye tarafından imzalandı.", question)
    assert not carries_type("body", "Bu trafik Suudi Arabistan’la paylaşıldı.", question)
    assert not carries_type("body", "Danish intelligence shared it.", question)
    assert carries_type("body", "Bu tarihten sonra Türk Konseyi İstihbarat Kurumları Konferansı toplandı.",
                        "Konferansın adı nedir?")


def test_an_era_dates_only_a_question_about_an_era():
    era = "Özbekistan’ın Mirziyoyev Dönemi’yle birlikte TDT çalışmalarına dâhil olması"
    assert carries_type("date", era, "Özbekistan hangi dönemde aktif oldu?")
    assert carries_type("date", era, "In which era did Uzbekistan become active?")
    # "a new era begins" dates nothing: no year, no month.
    new_era = "İş birliği, Türk dünyasında yeni bir dönem başlatmaktadır."
    assert not carries_type("date", new_era, "When was the initiative launched?")
    assert not carries_type("date", new_era, "Girişim ne zaman başlatıldı?")


def test_numbers_asked_about_must_be_in_the_sentence_table_numbers_aside():
    assert number_missing("2023 yılında hangi şehirde toplandı?", "2019 yılında Bakü’de")
    assert not number_missing("Kazakistan ile Türkiye 2022'de ne imzaladı?", "5 Ağustos 2022 tarihinde")
    assert not number_missing("Tablo 1'e göre fırsatlar neler?", "Ortak tehdit tanımlarına dayalı güven")
    assert not number_missing("What changed after 9/11?", "11 Eylül sonrasında")


@pytest.mark.parametrize("text", [
    "<b>x</b><script>alert(1)</script>", "asdfghjkl", "qwertyuiop asdf", "xkcd 1234 !!! ??", "şğüçöı jklş sdfg", "??",
])
def test_junk_is_recognised(text):
    assert is_junk(text)


@pytest.mark.parametrize("text", ["Five Eyes nedir?", "MİT", "What does INTCEN stand for?", "NSA ne yaptı?"])
def test_real_questions_are_not_junk(text):
    assert not is_junk(text)


def test_text_with_no_known_word_is_not_a_question_about_the_report():
    vocabulary = {"istih", "five", "eyes"}
    assert knows_a_word("Five Eyes?", vocabulary)
    assert knows_a_word("How many structural risks limit sharing?", vocabulary)
    assert not knows_a_word("lorem ipsum dolor sit amet", vocabulary)
    assert not knows_a_word("<i>merhaba</i>", vocabulary)


def test_yes_no_questions():
    assert is_yes_no("Is Hungary an observer state?") and is_yes_no("Türkmenistan TDT'nin tam üyesi mi?")
    assert not is_yes_no("Five Eyes nedir?") and not is_yes_no("In which year was it set up?")


def test_broad_questions():
    for q in ("What does the report recommend?", "Raporun önerileri neler?", "What does the report conclude?",
              "Rapor hangi sonuca varıyor?"):
        assert is_broad(q), q
    for q in ("Sonuç bölümüne göre istihbarat paylaşımı hangi alanlardaki iş birliklerini tamamlıyor?",
              "What does the conclusion say about Azerbaijan?"):
        assert not is_broad(q), q


def _features(**values: float) -> Features:
    base = dict.fromkeys(FEATURES, 0.0)
    return Features(**(base | values))


def test_the_model_is_fitted_saved_as_json_and_read_back(tmp_path):
    good = [_features(similarity=0.9 + i / 100) for i in range(5)]
    bad = [_features(similarity=0.85 + i / 100, type_missing=1.0) for i in range(5)]
    model = fit(good + bad, [True] * 5 + [False] * 5)
    assert model.weights["type_missing"] < 0
    assert all(model.answers(f) for f in good) and not any(model.answers(f) for f in bad)
    path = tmp_path / "model.json"
    model.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["features"] == list(FEATURES)
    assert AnswerabilityModel.load(path) == model
    path.write_text('{"features": ["similarity"]}', encoding="utf-8")
    with pytest.raises(ValueError, match="not an answerability model"):
        AnswerabilityModel.load(path)
    with pytest.raises(ValueError, match="answerable and unanswerable"):
        fit(good, [True] * 5)


# --- through the engine ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "lang"), [
    ("In what year was the BRUSA Agreement signed?", "en"),
    ("Danimarka istihbaratıyla ilgili iddialar hangi yıl ortaya çıktı?", "tr"),
    ("How many people work at INTCEN?", "en"),
    # The report names who received the chiefs (a president), not who heads the secretariat.
    ("Who heads the permanent secretariat?", "en"),
    ("Daimî Sekretaryanın başkanı kim?", "tr"),
])
def test_near_miss_questions_are_declined_as_not_in_the_report(engine, question, lang):
    answer = engine.ask(question)
    assert not answer.answered and answer.declined == "not_in_report"
    assert answer.answer == strings.CANNOT_ANSWER[lang] != strings.OFF_TOPIC[lang]
    assert answer.passages and answer.to_json()["declined"] == "not_in_report"


@pytest.mark.parametrize("question", [
    "<b>x</b><script>alert(1)</script>", "asdfghjkl", "lorem ipsum dolor sit amet", "How do I bake a chocolate cake?",
])
def test_junk_and_off_topic_input_is_declined_as_off_topic(engine, question):
    answer = engine.ask(question)
    assert not answer.answered and answer.declined == "off_topic" and not answer.citations
    assert answer.answer == strings.OFF_TOPIC[answer.language]


@pytest.mark.parametrize(("question", "must"), [
    ("1998 protokolünü hangi ülkeler imzaladı?", "Türkmenistan"),
    ("Where was the permanent secretariat established?", "Ankara"),
    ("Daimî Sekretarya nerede kuruldu?", "Ankara"),
    ("Orhan İnandı hangi yıl yakalandı?", "2021"),
])
def test_the_first_quote_is_the_one_that_answers(engine, question, must):
    answer = engine.ask(question)
    assert answer.answered and answer.declined is None
    assert must in answer.citations[0].sentence.text


@pytest.mark.parametrize("question", ["What does the report recommend?", "Raporun önerileri neler?"])
def test_a_broad_question_quotes_the_key_sentences_of_the_conclusion(engine, question):
    answer = engine.ask(question)
    assert answer.answered
    assert 2 <= len(answer.citations) <= 5
    assert {c.passage.section for c in answer.citations} == {"SONUÇ"}
    starts = [c.sentence.start for c in answer.citations]
    assert starts == sorted(starts), "in reading order"
    for c in answer.citations:
        assert f"[{c.n}]" in answer.answer


def test_a_follow_up_quotes_only_new_sentences(engine):
    first = engine.ask("Daimî Sekretarya nerede kuruldu?")
    quoted = [c.sentence.text for c in first.citations]
    again = engine.ask("Daimî Sekretarya nerede kuruldu?", exclude=quoted)
    assert not {c.sentence.text for c in again.citations} & set(quoted)


def test_table_references_are_read_from_questions_and_captions():
    assert table_numbers("Tablo 1'de hangi fırsatlar sayılıyor?") == {"1"}
    assert table_numbers("Compare Table 2 with table 1.") == {"1", "2"}
    assert table_numbers("Tablo: Farklı modeller") == set()


@pytest.mark.parametrize(("question", "caption"), [
    ("Tablo 1'de hangi fırsatlar sayılıyor?", "Tablo 1"),
    ("Tablo 2'deki modellerin avantajları neler?", "Tablo 2"),
    ("Which models does Table 2 set side by side?", "Tablo 2"),
])
def test_a_question_that_names_a_table_is_answered_from_its_rows(engine, question, caption):
    chosen, _ = engine.answerer.answerability(engine.prepare(question))
    first = chosen[0][0].passage
    assert first.kind == "table" and caption in first.text


@pytest.mark.parametrize(("question", "caption"), [
    ("Which models does Table 2 set side by side?", "Tablo 2"),
    # Under the Turkish off-topic threshold by its score: a table of the documents makes it on topic.
    ("Tablo 1'de hangi fırsatlar sayılıyor?", "Tablo 1"),
])
def test_an_answer_about_a_named_table_quotes_it_first(engine, question, caption):
    answer = engine.ask(question)
    assert answer.answered and caption in answer.citations[0].passage.text


def test_a_table_the_documents_lack_does_not_make_a_question_on_topic(engine):
    assert engine.answerer.tables == {"1", "2"}
    assert engine.ask("Tablo 7'de en iyi kek tarifi hangisi?").declined == "off_topic"


@pytest.mark.parametrize(("question", "name"), [
    ("What does INTCEN stand for?", "INTCEN"),
    ("What is the full name of CARICC?", "CARICC"),
    ("PNR neyin kısaltması?", "PNR"),
    ("Europol'ün açık adı nedir?", "Europol"),
    ("Europol ne yapar?", None),
    ("What does the abbreviation TDT stand for?", "TDT"),
    ("TDT neyin kısaltmasıdır?", "TDT"),
    # A body's full name, not an acronym's: the name must start with a capital.
    ("What's the full name of the permanent secretariat established in Ankara?", None),
])
def test_a_question_for_a_full_name_is_recognised(question, name):
    assert expansion_asked(question) == name


def test_a_definition_spells_the_name_out_in_parentheses():
    assert defines("bugün INTCEN (European Union Intelligence and Situation Center) olarak", "INTCEN")
    assert defines("Yolcu İsim Kayıtları (PNR) direktifi", "PNR")
    assert defines("Europol’ün (European Union Agency for Law Enforcement Cooperation)", "Europol")
    assert not defines("AB’nin INTCEN bünyesindeki Hybrid Fusion Cell", "INTCEN")


@pytest.mark.parametrize(("question", "definition"), [
    ("What does INTCEN stand for?", "INTCEN ("),
    ("PNR neyin kısaltması?", "(PNR)"),
])
def test_the_sentence_that_spells_a_name_out_is_quoted_first(engine, question, definition):
    chosen, _ = engine.answerer.answerability(engine.prepare(question))
    assert definition in chosen[0][1].text


def test_the_full_form_of_a_name_the_report_spells_out_is_on_topic(engine):
    """Its off-topic score fell under the threshold; the sentence spelling Europol out answers it."""
    answer = engine.ask("Europol'ün açık adı nedir?")
    assert answer.answered
    assert "Europol’ün (European Union Agency" in answer.citations[0].sentence.text


@pytest.mark.parametrize(("question", "first"), [
    ("How common is it for services to share sources and methods?", "kaynak ve yöntem paylaşımı ise istisnai"),
    ("Which past steps does the conclusion say laid the ground for institutionalising intelligence sharing?",
     "Geçmiş dönemde atılan adımlar"),
])
def test_an_english_question_is_matched_to_sentences_through_its_gloss_too(engine, question, first):
    """Sentence similarity for a glossed English question is the mean of the question's and its
    Turkish gloss's: the first quote is then the sentence that answers."""
    answer = engine.ask(question)
    assert answer.answered and first in answer.citations[0].sentence.text


def test_an_english_questions_gloss_counts_as_its_words_when_quoting(engine):
    """The words it shares with a sentence broke no tie for an English question: its words are
    English, the sentences Turkish. Its gloss ("radikal ağların takibi") now does."""
    answer = engine.ask("Which member state stands out for tracking radical networks?")
    assert answer.answered and "Özbekistan ise" in answer.citations[0].sentence.text


@pytest.mark.parametrize("question", ["What does the abbreviation TDT stand for?", "TDT neyin kısaltmasıdır?"])
def test_the_passage_that_spells_a_name_out_ranks_first_and_answers(engine, question):
    """It ranked sixth ("TDT" is in many passages), so no quote spelled it out and the Turkish
    question was declined."""
    hits = engine.search(question)
    assert "Türk Devletleri Teşkilatı (TDT)" in hits[0].passage.text
    answer = engine.ask(question)
    assert answer.answered and "Türk Devletleri Teşkilatı (TDT)" in answer.citations[0].sentence.text


def test_an_english_name_the_report_writes_in_turkish_is_spelled_out_through_the_glossary(engine):
    """The report never writes "OTS"; the glossary's OTS is its TDT, which it spells out."""
    definition = engine.retriever.spelled_out("What does OTS stand for?")
    assert definition is not None and definition.name == "TDT"
    for question in ("What does OTS stand for?", "OTS neyin kısaltması?"):
        answer = engine.ask(question)
        assert answer.answered and "Türk Devletleri Teşkilatı (TDT)" in answer.citations[0].sentence.text
    assert engine.retriever.spelled_out("What does XYZQ stand for?") is None


@pytest.mark.parametrize("question", ["NATO'nun açık adı nedir?", "What does NATO stand for?"])
def test_the_full_form_of_a_name_the_report_does_not_spell_out_is_declined(engine, question):
    """NATO is named in the report, never spelled out: no sentence carries what is asked."""
    _, features = engine.answerer.answerability(engine.prepare(question))
    assert features is not None and features.type_missing == 1.0
    assert not engine.ask(question).answered


def test_a_sentence_is_cut_into_clauses_and_lists_and_short_pieces_join_what_follows():
    protocol = (
        "Bu sürecin istihbarat boyutu, 20 Mayıs 1998 tarihinde Azerbaycan, Kazakistan, Kırgızistan, Türkiye ve "
        "Türkmenistan tarafından imzalanan protokol ile kurulmuştur."
    )
    assert clauses(protocol) == [
        "Bu sürecin istihbarat boyutu",
        "20 Mayıs 1998 tarihinde Azerbaycan, Kazakistan, Kırgızistan, Türkiye ve Türkmenistan tarafından "
        "imzalanan protokol ile kurulmuştur.",
    ]
    assert clauses("Sekretarya 2019’da Ankara’da kuruldu; toplantılar ise her yıl başka bir başkentte yapılır.") == [
        "Sekretarya 2019’da Ankara’da kuruldu", "toplantılar ise her yıl başka bir başkentte yapılır."
    ]
    assert clauses("Tek bir cümle olarak kalır") == ["Tek bir cümle olarak kalır"]


def test_an_answer_in_a_clause_about_something_else_widens_the_clause_gap(engine):
    """1998 dates the Turkic conference's protocol, not the CIS one: the clause holding the
    year reads less like the question than the sentence does."""
    def features(question):
        _, f = engine.answerer.answerability(engine.prepare(question))
        assert f is not None
        return f

    elsewhere = features("When did the CIS intelligence chiefs' conference first meet?")
    asked = features("When was the Organization of Turkic States founded?")
    assert elsewhere.clause_gap > asked.clause_gap
    assert elsewhere.clause_gap > 0
    # No answer type asked: no clause is looked at.
    assert features("Türk devletleri istihbarat paylaşımında neden birbirine güveniyor?").clause_gap == 0.0


def test_who_is_answered_by_the_states_that_did_it_when_the_question_names_none():
    signed = ("20 Mayıs 1998 tarihinde Azerbaycan, Kazakistan, Kırgızistan, Türkiye ve Türkmenistan tarafından "
              "imzalanan protokol")
    assert carries_type("person", signed, "Who signed the 1998 protocol?")
    assert carries_type("person", signed, "1998 protokolünü kim imzaladı?")
    # A question that names a state asks for someone within it; one country is a modifier, no agent.
    assert not carries_type("person", signed, "Who signed the 1998 protocol for Kazakhstan?")
    assert not carries_type("person", "Kırgızistan Cumhurbaşkanlığı 2022’de açıkladı", "Who announced it?")
    # A post asked for still needs a person with that title.
    assert asked_post("Who chaired the 2022 meeting?") == "Başkanı"
    assert not carries_type("person", signed, "Who chaired the 1998 conference?")


@pytest.mark.parametrize("question", ["1998 protokolünü kim imzaladı?", "Who signed the 1998 protocol?"])
def test_who_signed_the_protocol_is_answered_with_the_signatories_first(engine, question):
    answer = engine.ask(question)
    assert answer.answered
    assert "Türkmenistan tarafından imzalanan" in answer.citations[0].sentence.text


def test_a_quantity_the_report_does_not_give_is_not_answered_with_a_sentence_about_the_country(engine):
    """"What is the population of Kazakhstan?" names a quantity: a sentence about Kazakhstan with
    no number in it does not answer it."""
    answer = engine.ask("What is the population of Kazakhstan?")
    assert not answer.answered
