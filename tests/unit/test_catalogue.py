"""The message catalogue: every sentence the code asks for exists, with the parameters it fills; the
banana JSON is well formed, documented in qqq.json, and every plural renders in every language."""

import ast
import json
import re
from pathlib import Path

import pytest

from bot.i18n import (
    DOCUMENTATION,
    FALLBACK,
    LOCALES_DIR,
    MAGIC,
    METADATA,
    PARAMETER,
    catalogue,
    is_rtl,
    language_of,
    languages,
    metadata,
    parameters,
    plural_categories,
    render,
    resolve,
    t,
)

ROOT = Path(__file__).resolve().parents[2]


def used_keys():
    """Every ``t("literal.key", ..., name=...)`` call in bot/ and cogs/: (file, key, keyword names)."""
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                has_splat = any(k.arg is None for k in node.keywords)
                yield path.relative_to(ROOT), node.args[0].value, {k.arg for k in node.keywords}, has_splat


def test_every_key_used_exists_with_its_placeholders():
    sentences = catalogue(FALLBACK)
    problems = []
    for path, key, given, has_splat in used_keys():
        if key not in sentences:
            problems.append(f"{path}: no sentence {key!r}")
            continue
        needed = set(parameters().get(key, ()))
        if not has_splat and not needed <= given:
            problems.append(f"{path}: {key!r} needs {sorted(needed - given)}")
    assert not problems, "\n".join(problems)


def test_locales_fall_back_to_english():
    assert language_of(None) == "en"
    assert language_of("tlh") == "en"
    assert t("access.moderator", "tlh") == t("access.moderator")


def test_region_codes_and_languages_discord_does_not_offer():
    known = {"en", "es", "fr", "pt-br", "zh-hans", "zh-hant", "ar", "sw"}
    assert resolve("zh-TW", known) == "zh-hant"
    assert resolve("zh-CN", known) == "zh-hans"
    assert resolve("zh-HK", known) == "zh-hant"
    assert resolve("pt-BR", known) == "pt-br"
    assert resolve("pt", known) == "pt-br"
    assert resolve("es-419", known) == "es"
    assert resolve("es_ES", known) == "es"
    assert resolve("ar", known) == "ar"
    assert resolve("ar-EG", known) == "ar"
    assert resolve("sw", known) == "sw"
    assert resolve("zh-TW", {"en"}) == "en"
    assert language_of("es-419") == "es"


def test_unknown_key_is_an_error():
    with pytest.raises(KeyError):
        t("no.such.sentence")


SENTENCE_CALLS = {"t", "UserError", "AccessDenied"}  # each takes a sentence key first


def _key_shaped(value: str, known: set[str]) -> bool:
    return "." in value and " " not in value and "{" not in value and value.split(".")[0] in known


def produced_keys():
    """Every key a sentence call can receive: (file, line, key), key None for one built at run time.

    A literal key is taken as it is. A key chosen earlier (``key = "a.b" if ... else "a.c"``, a dict of
    outcomes) is found among the key-shaped literals of the enclosing function, or of the module for a
    module-level table; an f-string there would build one at run time, which this test refuses.
    """
    known = {key.split(".")[0] for key in catalogue(FALLBACK)}
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        # A literal handed to another call (an audit action, a state key) is not a sentence key.
        elsewhere = {
            id(arg)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call)
            and (call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None))
            not in SENTENCE_CALLS
            for arg in [*call.args, *(k.value for k in call.keywords)]
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in SENTENCE_CALLS:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                continue  # checked with its placeholders by the test above
            if isinstance(first, ast.JoinedStr):
                yield path.relative_to(ROOT), node.lineno, None
                continue
            enclosing = [s for s in scopes if s.lineno <= node.lineno <= (s.end_lineno or s.lineno)]
            scope = min(enclosing, key=lambda s: (s.end_lineno or 0) - s.lineno) if enclosing else tree
            referenced = {n.id for n in ast.walk(first) if isinstance(n, ast.Name)}
            places = [
                scope,
                *(
                    stmt
                    for stmt in tree.body
                    if isinstance(stmt, ast.Assign | ast.AnnAssign)
                    and any(
                        isinstance(t, ast.Name) and t.id in referenced
                        for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                    )
                ),
            ]
            for place in places:
                for inner in ast.walk(place):
                    if isinstance(inner, ast.JoinedStr):
                        head = inner.values[0] if inner.values else None
                        if isinstance(head, ast.Constant) and _key_shaped(str(head.value) + "x", known):
                            yield path.relative_to(ROOT), inner.lineno, None
                    elif (
                        isinstance(inner, ast.Constant)
                        and isinstance(inner.value, str)
                        and _key_shaped(inner.value, known)
                        and id(inner) not in elsewhere
                    ):
                        yield path.relative_to(ROOT), inner.lineno, inner.value


def test_every_key_the_code_can_produce_exists():
    """No sentence key is assembled at run time (the test above could not see it), and every key chosen
    before the call (a dict of outcomes, a conditional) is in the English catalogue."""
    sentences = catalogue(FALLBACK)
    problems = set()
    for path, line, key in produced_keys():
        if key is None:
            problems.add(f"{path}:{line}: a sentence key built with an f-string; write the keys out")
        elif key not in sentences:
            problems.add(f"{path}:{line}: no sentence {key!r}")
    assert not problems, "\n".join(sorted(problems))


# -- the banana files ------------------------------------------------------------------------------


def test_the_files_are_banana_json_side_by_side():
    names = sorted(p.name for p in LOCALES_DIR.iterdir())
    assert {"en.json", "qqq.json", "fr.json", "es.json"} <= set(names)
    assert not [p for p in LOCALES_DIR.iterdir() if p.is_dir()], "TOML folders are gone"
    for path in LOCALES_DIR.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data[METADATA], dict), path
        assert all(isinstance(v, str) for k, v in data.items() if k != METADATA), path


@pytest.mark.parametrize("language", languages())
def test_each_catalogue_records_its_native_speaker_review(language):
    assert metadata(language)["reviewed-by-native-speaker"] is False


def test_the_parameter_record_matches_the_english_messages():
    english = catalogue(FALLBACK)
    problems = [key for key in parameters() if key not in english]
    for key, text in english.items():
        used = {int(n) for n in PARAMETER.findall(text)}
        count = len(parameters().get(key, ()))
        if used != set(range(1, count + 1)):
            problems.append(f"{key}: uses {sorted(used)}, the record names {count}")
    assert not problems, "\n".join(problems)


def test_qqq_documents_every_message_and_its_parameters():
    docs = catalogue(DOCUMENTATION)
    english = catalogue(FALLBACK)
    assert sorted(set(english) - set(docs)) == []
    assert sorted(set(docs) - set(english)) == []
    for key, names in parameters().items():
        for position in range(1, len(names) + 1):
            assert f"${position} " in docs[key], f"qqq {key}: ${position} not documented"
    assert all(len(doc) > 20 for doc in docs.values())


@pytest.mark.parametrize("language", [FALLBACK, "fr", "es"])
def test_no_plural_workarounds_left(language):
    offenders = [k for k, v in catalogue(language).items() if re.search(r"\w\((s|es|e)\)", v)]
    assert offenders == []


def test_the_magic_words_are_closed_and_known():
    problems = []
    for language in languages():
        for key, text in catalogue(language).items():
            rest = MAGIC.sub("", text)
            if "{{" in rest or "}}" in rest:
                problems.append(f"{language} {key}: an unknown or unclosed {{{{...}}}}")
    assert not problems, "\n".join(problems)


NUMBERS = (0, 1, 2, 5, 21)


@pytest.mark.parametrize("language", languages())
def test_every_plural_form_renders(language):
    """Every {{PLURAL:}} of the language renders for 0, 1, 2, 5 and 21, with no more forms than the
    language's CLDR categories (+ explicit N= forms), and never leaves markup behind."""
    problems = []
    categories = plural_categories(language)
    for key, text in catalogue(language).items():
        plurals = list(MAGIC.finditer(text))
        if not plurals:
            continue
        for match in plurals:
            plain = [f for f in match.group(3).split("|") if not re.match(r"^\s*\d+\s*=", f)]
            if len(plain) > len(categories):
                problems.append(f"{language} {key}: {len(plain)} forms, {language} has {categories}")
        names = parameters()[key]
        for number in NUMBERS:
            shown = t(key, language, **dict.fromkeys(names, number))
            if "{{" in shown or PARAMETER.search(shown) or "PLURAL" in shown:
                problems.append(f"{language} {key} with {number}: {shown!r}")
    assert not problems, "\n".join(problems)


def test_plurals_follow_each_languages_cldr_rules():
    english = "$1 {{PLURAL:$1|member|members}}"
    assert [render(english, "en", [str(n)]) for n in NUMBERS] == [
        "0 members", "1 member", "2 members", "5 members", "21 members"
    ]  # fmt: skip
    french = "$1 {{PLURAL:$1|membre|membres}}"
    assert [render(french, "fr", [str(n)]) for n in NUMBERS] == [
        "0 membre", "1 membre", "2 membres", "5 membres", "21 membres"
    ]  # fmt: skip
    russian = "{{PLURAL:$1|one|few|many|other}}"
    assert [render(russian, "ru", [str(n)]) for n in NUMBERS] == ["many", "one", "few", "many", "one"]
    arabic = "{{PLURAL:$1|zero|one|two|few|many|other}}"
    assert [render(arabic, "ar", [str(n)]) for n in (0, 1, 2, 5, 21, 100)] == [
        "zero", "one", "two", "few", "many", "other"
    ]  # fmt: skip
    assert render("{{PLURAL:$1|0=none|one|other}}", "en", ["0"]) == "none"
    assert render("{{PLURAL:$1|0=none|one|other}}", "en", ["1"]) == "one"
    assert render("{{PLURAL:$1|only}}", "en", ["5"]) == "only"  # missing forms take the last one
    assert render("{{PLURAL:$1|一}}", "ja", ["5"]) == "一"
    assert plural_categories("ja") == ("other",)


def test_plural_sentences_with_1_and_5_in_each_language():
    shown = {
        lang: [t("officehours.cancel.done", lang, title="Q&A", count=n) for n in (1, 5)]
        for lang in languages()
    }
    assert shown["en"] == [
        "Cancelled **Q&A**. 1 signed-up member was told.",
        "Cancelled **Q&A**. 5 signed-up members were told.",
    ]
    assert shown["fr"][0].endswith("1 membre inscrit a été prévenu.")
    assert shown["fr"][1].endswith("5 membres inscrits ont été prévenus.")
    assert shown["es"][0].endswith("1 miembro inscrito.") and shown["es"][1].endswith("5 miembros inscritos.")


def test_gender_is_not_used_and_renders_its_neutral_form():
    assert not [k for lang in languages() for k, v in catalogue(lang).items() if "{{GENDER" in v.upper()]
    assert render("{{GENDER:$1|he|she|they}} wrote", "en", ["x"]) == "they wrote"


def test_right_to_left_messages_isolate_their_parameters(monkeypatch):
    arabic = {"officehours.cancel.done": "أُلغيت **$1**. {{PLURAL:$2|صفر|واحد|اثنان|قليل|كثير|آخر}}"}
    monkeypatch.setattr(
        "bot.i18n.catalogue", lambda language: arabic if language == "ar" else catalogue(language)
    )
    monkeypatch.setattr(
        "bot.i18n.language_of", lambda locale: "ar" if locale == "ar" else language_of(locale)
    )
    shown = t("officehours.cancel.done", "ar", title="Q&A 2026", count=5)
    assert is_rtl("ar") and not is_rtl("fr")
    assert shown.startswith("\u200f") and "**\u2068Q&A 2026\u2069**" in shown and shown.endswith("قليل")
    assert "\u2068" not in t("officehours.cancel.done", "fr", title="Q&A", count=5)


def test_a_missing_parameter_is_an_error():
    with pytest.raises(KeyError):
        t("officehours.cancel.done", "en", title="Q&A")


def test_a_catalogue_file_in_any_case_is_found_by_its_code(tmp_path, monkeypatch):
    """Translators may name a file zh-TW.json or zh-hant.json: both are found from Discord's zh-TW."""
    import shutil

    import bot.i18n as i18n

    caches = (
        i18n._files,
        i18n.catalogue,
        i18n.metadata,
        i18n.parameters,
        i18n.languages,
        i18n._known_language,
    )
    for name in ("en.json", "qqq.json"):
        shutil.copy(LOCALES_DIR / name, tmp_path / name)
    (tmp_path / "zh-TW.json").write_text(
        json.dumps({"@metadata": {}, "access.moderator": "只有版主可以這樣做。"}, ensure_ascii=False), "utf-8"
    )
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    try:
        for cached in caches:
            cached.cache_clear()
        assert "zh-tw" in languages()
        assert language_of("zh-TW") == "zh-tw" and language_of("zh-CN") == "en"
        assert t("access.moderator", "zh-TW") == "只有版主可以這樣做。"
        assert t("access.administrator", "zh-TW") == t("access.administrator", "en")  # falls back
    finally:
        monkeypatch.undo()
        for cached in caches:
            cached.cache_clear()
