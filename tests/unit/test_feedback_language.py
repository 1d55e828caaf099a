"""Language of thread replies: by script where one language owns it, else the offline model."""

from __future__ import annotations

import pytest

from bot.feedback.language import LanguageDetector

SCRIPT_ONLY = LanguageDetector(use_model=False)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("この提案は良いと思いますが、予算が足りません。", "ja"),
        ("이 제안에 동의합니다", "ko"),
        ("ข้อเสนอนี้ดีมาก", "th"),
        ("Συμφωνώ με την πρόταση", "el"),
        ("אני מסכים עם ההצעה", "he"),
        ("这个建议很好，但是太贵了", "zh"),
        ("প্রস্তাবটি ভালো", "bn"),
    ],
)
def test_scripts_of_one_language(text: str, language: str) -> None:
    assert SCRIPT_ONLY.detect(text) == language


@pytest.mark.parametrize("text", ["", "👍👍", "ok", "<@123> <#456> https://example.org/x", "12345 !!!"])
def test_too_little_text_is_not_guessed(text: str) -> None:
    assert SCRIPT_ONLY.detect(text) is None


def test_without_the_model_latin_text_is_not_guessed() -> None:
    assert SCRIPT_ONLY.detect("Je pense que cette recommandation est trop vague.") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Je pense que cette recommandation est trop vague sur le financement.", "fr"),
        ("No estoy de acuerdo con el punto dos, falta claridad.", "es"),
        ("Das ist ein guter Vorschlag, aber die Umsetzung ist zu teuer.", "de"),
        ("أعتقد أن هذه التوصية مهمة جدا للمجتمع", "ar"),
        ("मुझे लगता है कि यह सुझाव बहुत अच्छा है", "hi"),
        ("Я думаю, что это предложение слишком общее.", "ru"),
        ("I think this recommendation is too vague about funding.", "en"),
    ],
)
def test_the_model_tells_languages_sharing_a_script(text: str, language: str) -> None:
    pytest.importorskip("py3langid")
    assert LanguageDetector().detect(text) == language


def test_mentions_and_links_do_not_sway_the_model() -> None:
    pytest.importorskip("py3langid")
    text = "<@123456789012345678> https://meta.wikimedia.org/wiki/Strategy Je suis tout à fait d'accord."
    assert LanguageDetector().detect(text) == "fr"
