import tomllib
from pathlib import Path

import pytest

from bot.content import DEFAULT_CONTENT_PATH, ContentError, is_emoji, load_content

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "resourcing-the-movement.txt"


def test_default_content_is_the_seed_documents():
    content = load_content()
    assert len(content.recommendations) == 9
    assert len(content.scoping_areas) == 9
    assert [s.key for s in content.stances] == ["support", "oppose", "needs_work"]
    assert [a.emoji for a in content.scoping_areas] == [f"{n}\ufe0f\u20e3" for n in range(1, 10)]
    assert all(r.text == "" for r in content.recommendations), "draft text is the working group's"
    assert all(len(a.short_name) <= 20 for a in content.scoping_areas)
    if SEED.exists():
        seed = SEED.read_text(encoding="utf-8")
        for recommendation in content.recommendations:
            assert recommendation.title in seed
        for area in content.scoping_areas:
            assert area.name in seed


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "content.toml"
    path.write_text(text, encoding="utf-8")
    return path


def default_text() -> str:
    return DEFAULT_CONTENT_PATH.read_text(encoding="utf-8")


def test_duplicate_numbers(tmp_path):
    text = default_text().replace("number = 2\ntitle", "number = 1\ntitle")
    with pytest.raises(ContentError, match="Two recommendations share the number 1"):
        load_content(write(tmp_path, text))


def test_missing_title(tmp_path):
    text = default_text().replace('title = "Include knowledge consumers"', "")
    with pytest.raises(ContentError, match=r"recommendation #9 has no title"):
        load_content(write(tmp_path, text))


def test_too_many_areas(tmp_path):
    areas = "".join(
        f'[[scoping_areas]]\nnumber = {n}\nname = "Area {n}"\nemoji = "{chr(0x1F600 + n)}"\n'
        for n in range(1, 22)
    )
    text = (
        '[[stances]]\nkey="support"\nlabel="S"\nemoji="👍"\n'
        '[[stances]]\nkey="oppose"\nlabel="O"\nemoji="👎"\n'
        '[[stances]]\nkey="needs_work"\nlabel="N"\nemoji="🛠️"\n'
        '[[recommendations]]\nnumber=1\ntitle="x"\n' + areas
    )
    with pytest.raises(ContentError) as caught:
        load_content(write(tmp_path, text))
    assert any("at most 20 areas" in p for p in caught.value.problems)
    assert any("20 different reactions on one message" in p for p in caught.value.problems)


def test_unknown_emoji(tmp_path):
    text = default_text().replace('emoji = "9️⃣"', 'emoji = "nine"')
    with pytest.raises(ContentError, match="'nine' is not an emoji Discord knows"):
        load_content(write(tmp_path, text))


def test_tag_name_too_long(tmp_path):
    text = default_text().replace('short_name = "Innovation"', 'short_name = "Innovation and experiments"')
    with pytest.raises(ContentError, match="longer than the 20 characters"):
        load_content(write(tmp_path, text))


def test_not_toml_and_not_utf8(tmp_path):
    with pytest.raises(ContentError, match="not valid TOML"):
        load_content(write(tmp_path, "[[recommendations]\n"))
    path = tmp_path / "latin1.toml"
    path.write_bytes("title = 'caf\xe9'".encode("latin-1"))
    with pytest.raises(ContentError, match="not UTF-8"):
        load_content(path)
    with pytest.raises(ContentError, match="Cannot read"):
        load_content(tmp_path / "missing.toml")


def test_hostile_values_are_rejected(tmp_path):
    text = default_text().replace('title = "Include knowledge consumers"', 'title = "Bad\\u0007bell"')
    with pytest.raises(ContentError, match="control characters"):
        load_content(write(tmp_path, text))
    text = default_text().replace("number = 9\ntitle", "number = true\ntitle")
    with pytest.raises(ContentError, match="whole number"):
        load_content(write(tmp_path, text))


def test_every_problem_is_reported_at_once(tmp_path):
    data = tomllib.loads(default_text())
    assert data
    text = (
        default_text().replace('emoji = "9️⃣"', 'emoji = "x"').replace("number = 2\ntitle", "number = 1\ntitle")
    )
    with pytest.raises(ContentError) as caught:
        load_content(write(tmp_path, text))
    assert len(caught.value.problems) == 2


@pytest.mark.parametrize("emoji", ["1️⃣", "👍", "🛠️", "👍🏽", "🇫🇷", "👩‍💻", "<:wiki:123456789012345678>"])
def test_emoji_accepted(emoji):
    assert is_emoji(emoji)


@pytest.mark.parametrize("emoji", ["", "a", "1", ":thumbsup:", "👍 ", "<:x:1>", "DROP TABLE"])
def test_emoji_refused(emoji):
    assert not is_emoji(emoji)
