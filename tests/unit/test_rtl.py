"""Right-to-left text in heatmap.png: matplotlib (3.11 on, libraqm) shapes Arabic letters in their
contextual forms and lays them out right to left, so the digest passes labels as they are written."""

from __future__ import annotations

from bot.digest.heatmap import HeatmapText, render_heatmap

TITLE = "تخصيص الموارد"  # "resource allocation"


def test_arabic_labels_are_shaped_and_laid_out_right_to_left():
    from matplotlib import font_manager
    from matplotlib._text_helpers import layout
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_manager.findfont("DejaVu Sans"))
    word = "تخصيص"
    drawn = list(layout(word, font))
    assert [item.char for item in drawn] == list(reversed(word)), "visual order: the last letter leftmost"
    [isolated] = list(layout("ص", font))
    assert drawn[0].glyph_index != isolated.glyph_index, "the final ص is drawn in its joined form"
    assert all(item.glyph_index for item in drawn), "the font has every glyph"


def test_a_heatmap_with_arabic_labels_renders():
    text = HeatmapText(TITLE, "من البداية", "مجال الدراسة", "التوصية", "الأعضاء", "التوصيات")
    png = render_heatmap(
        [[1, 2], [0, 3]], ["R1", "R2"], [TITLE, "عنوان طويل " * 12], ["١ الهياكل", "٢ القرار"], text
    )
    assert png.startswith(b"\x89PNG")
