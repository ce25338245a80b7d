"""tools.claims reads a markdown cell through mistune's parser: what it leaves of the markdown, and what it keeps."""

from tools import claims


def test_prose_leaves_out_code_link_targets_html_and_numbering():
    markdown = (
        "## 3. Fine-tuning at 84 %\n\n"
        "Run `fit(epochs=12)` as [the paper 5](https://example.org/2/9.4) says; <b>7</b> of **9.4 %** and _61 %_\n"
        "on a second line.\n\n"
        "1. first of 45\n"
        "2. second item\n\n"
        "```python\nEPOCHS = 77\n```\n\n"
        "<div>block 55</div>\n\n"
        "| model | accuracy |\n|---|---|\n| a | 71 % |\n| b | 72 % |\n\n"
        "![an image of 3 cats](cats/8.png)\n"
    )
    text = claims.prose(markdown)
    for gone in (
        "##",
        "3.",
        "`",
        "fit",
        "epochs=12",
        "https",
        "9.4)",
        "<b>",
        "</b>",
        "<div>",
        "1.",
        "2.",
        "77",
        "8.png",
    ):
        assert gone not in text, (gone, text)
    for kept in ("Fine-tuning at 84 %", "the paper 5", "7", "9.4 %", "61 %", "first of 45", "block 55", "3 cats"):
        assert kept in text, (kept, text)
    assert [written for written, *_ in claims.quoted_numbers(markdown)] == [
        "84 %",
        "5",
        "7",
        "9.4 %",
        "61 %",
        "45",
        "55",
        "71 %",
        "72 %",
        "3",
    ]


def test_numbers_in_code_and_link_targets_are_no_claims():
    assert claims.quoted_numbers("see `0.75` and [this](https://x.org/84) and\n```\n12 %\n```\n") == []
    assert claims.shapes("`224 × 224` in code, 7 × 7 in text") == ["7x7"]
