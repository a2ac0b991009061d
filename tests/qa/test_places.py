"""The gazetteer of places and the place-conflict signal (qa.places) and how answers use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.places import default_places_path, is_place, load_places, place_conflict, places_in


def test_places_are_found_with_their_suffixes_and_by_whole_name() -> None:
    names = load_places(default_places_path())
    assert places_in("ABD, Japonya’daki yaklaşık 100 ayrı tesiste", names) == {"ABD", "Japonya"}
    assert places_in("Amerika ve Suudi Arabistan'ın", names) == {"ABD", "Suudi Arabistan"}
    # Five-letter stems would make one place of these two.
    assert places_in("Avustralya", names) != places_in("Avusturya", names)
    assert places_in("güvenlik iş birliği", names) == set()


def test_a_name_is_a_place_only_as_a_whole() -> None:
    assert is_place("Suudi Arabistan’la") and is_place("Saudi Arabia") and is_place("Bakü")
    # A body named after a country is no place.
    assert not is_place("Danimarka Savunma İstihbarat Servisi") and not is_place("NSA")


def test_a_sentence_about_another_place_conflicts() -> None:
    assert place_conflict("ABD Avustralya'da kaç tesis işletiyor?", "ABD, Japonya’daki yaklaşık 100 ayrı tesiste")
    assert not place_conflict("ABD Japonya'da kaç tesis işletiyor?", "ABD, Japonya’daki yaklaşık 100 ayrı tesiste")
    # A sentence that names more places than the question, all of the question's among them.
    assert not place_conflict("Kırgızistan'da kim yakalandı?", "Kırgızistan’da ve Azerbaycan’da yakalananlar")
    # No place on one side: nothing to conflict with.
    assert not place_conflict("Protokol ne zaman imzalandı?", "Ankara’da imzalanan protokol")
    assert not place_conflict("Ankara'da ne kuruldu?", "Daimî sekretarya kuruldu.")


def test_a_gazetteer_can_be_given_as_a_file(tmp_path: Path) -> None:
    path = tmp_path / "places.txt"
    path.write_text("# places\ncountry\tAtlantis; Atlantida\ncity\tLemurya\n", encoding="utf-8")
    assert place_conflict("Atlantida'da ne oldu?", "Lemurya’da oldu.", path)
    assert not place_conflict("Atlantis'te ne oldu?", "Atlantida’da oldu.", path)
    assert places_in("Lemurya ve Atlantis", load_places(path), "city") == {"Lemurya"}


def test_a_gazetteer_line_without_a_kind_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "places.txt"
    path.write_text("country\tAtlantis\nLemurya\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        load_places(path)


def test_a_question_about_another_place_than_the_report_gives_is_declined(engine) -> None:
    """The report counts US sites in Japan, not in Australia: the number is about another place."""
    request = engine.prepare("How many sites does the United States run in Australia?")
    chosen, features = engine.answerer.answerability(request)
    assert features is not None and features.place_conflict == 1.0
    assert "Japonya" in chosen[0][1].text
    assert not engine.answerer.model.answers(features)
    assert not engine.ask("How many sites does the United States run in Australia?").answered


def test_sentences_about_another_place_are_not_quoted_before_or_beside_the_questions_own(engine) -> None:
    answer = engine.ask("Why was France's sharing of intelligence with North African agencies criticised?")
    assert answer.answered
    assert "Fransa" in answer.citations[0].sentence.text
    # Without the penalty, a sentence on Denmark and the US scored within the quoting margin.
    assert not any("Danimarka" in c.sentence.text for c in answer.citations)
