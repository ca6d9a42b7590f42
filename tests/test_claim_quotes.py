"""Every register row quotes the lecture verbatim, on the slide it names (issue 20, item 1), and says
whose claim it is (item 2)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from rnnbench import claims as C

REPO = Path(__file__).resolve().parents[1]
LECTURE = REPO.parent / "shared" / "lecture"
SEPARATOR = " … "   # a quote's fragments from one slide


def normalise(text: str) -> str:
    """Whitespace collapsed; the lecture's Markdown emphasis (``*``) and escapes (``\\_``) dropped, so a
    quote reads as the slide does."""
    return " ".join(text.replace("\\_", "_").replace("*", "").split())


def slides() -> dict[str, str]:
    """The lecture's slides: title (a first-level heading) → its text, normalised."""
    files = sorted(LECTURE.glob("*.txt")) if LECTURE.is_dir() else []
    if not files:
        pytest.skip(f"the lecture is not beside the checkout ({LECTURE})")
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    out: dict[str, str] = {}
    for part in re.split(r"^# ", text, flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        key = normalise(title)
        out[key] = out.get(key, "") + " " + normalise(body)
    return out


@pytest.mark.parametrize("claim", C.REGISTER, ids=[c.id for c in C.REGISTER])
def test_the_quote_is_the_lectures_words_on_the_named_slide(claim):
    deck = slides()
    assert claim.slide, f"{claim.id}: no slide named"
    assert normalise(claim.slide) in deck, f"{claim.id}: no slide titled {claim.slide!r} in the lecture"
    body = deck[normalise(claim.slide)]
    for fragment in claim.quote.split(SEPARATOR):
        assert normalise(fragment) in body, f"{claim.id}: {fragment!r} is not on the slide {claim.slide!r}"


def test_the_check_reads_the_lecture_not_a_paraphrase():
    deck = slides()
    body = deck[normalise("Results including Gradient Clipping")]
    assert normalise("accuracy ~90%") in body and normalise("accuracy about 90 %") not in body


def test_every_row_says_whose_claim_it_is():
    origins = {c.origin for c in C.REGISTER}
    assert origins == set(C.ORIGINS)
    # the project's own hypotheses are said as such (issue 20)
    ours = {c.id for c in C.REGISTER if c.origin == "ours"}
    for prefix in ("imdb_", "gru_reset_before_", "w2v_ours_equals_gensim", "names_embedding_over_onehot"):
        assert any(i.startswith(prefix) for i in ours), prefix
    # the lecture's summary of Chung et al. shows the paper's own direction beside it
    chung = [c for c in C.REGISTER if c.id.startswith("chung_") and c.test is not None]
    assert chung and all(c.paper and c.paper_direction for c in chung)
    by = C.by_id()
    assert by["chung_lstm_beats_tanh_nottingham"].paper_direction == "reverse"
    assert by["chung_lstm_beats_tanh_pianomidi"].paper_direction == "tie"
    assert by["chung_lstm_beats_tanh_musedata"].paper_direction == "tie"
    assert by["chung_gru_beats_tanh_jsb"].paper_direction == "agrees"
