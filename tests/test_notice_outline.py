"""Stage 3 of the reader, the outline (bot/notices/reading/outline.py): marker rules in a registry."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from bot.notices.reading.outline import Node, Outline, build_outline


def tree(node: Node) -> list:
    return [(c.kind, c.label, tree(c)) if c.children else (c.kind, c.label) for c in node.children]


def test_the_rules_are_a_registry_in_order():
    names = [r.__name__ for r in Outline.RULES]
    assert names == ["_rule_roman", "_rule_subnum", "_rule_num", "_rule_garbled_number", "_rule_letter",
                     "_rule_dash"]


def test_roman_sections_restart_numbering():
    out = build_outline(["I. NHIỆM VỤ CHUNG", "1. Sở A làm.", "2. Sở B làm.", "II. NHIỆM VỤ CỤ THỂ", "1. Sở C làm."],
                        allow_top_dashes=False)
    assert out.restarts
    assert tree(out.root) == [("roman", "I", [("num", "1"), ("num", "2")]), ("roman", "II", [("num", "1")])]


def test_letters_skip_and_run_back_and_keep_their_letters():
    out = build_outline(["1. Về đầu tư", "a) Sở A làm.", "c) Sở B làm.", "e) Sở C làm.", "g) Sở D làm.",
                         "f) Sở E làm."], allow_top_dashes=False)
    assert [c.label for c in out.root.children[0].children] == ["a", "c", "e", "g", "f"]


def test_a_wrapped_line_never_starts_an_item():
    out = build_outline(["1. Sở A chủ trì, phối hợp với các đơn vị theo điểm", "b) khoản 2 Điều 5 Nghị định."],
                        allow_top_dashes=False)
    assert tree(out.root) == [("num", "1")]


def test_a_marker_line_below_a_heading_line_opens_its_first_item():
    out = build_outline(["1. Sở A làm.", "2. Sở A làm.", "3. Sở A làm.", "4. Sở A làm.", "5. Sở A làm.", "7. Trách nhiệm của các sở, ban, ngành, UBND các xã, phường, đặc khu",
                         "a) Chủ động rà soát."], allow_top_dashes=False)
    assert tree(out.root)[-2:] == [("num", "5"), ("num", "7", [("letter", "a")])]  # 6 is missing in the source
    assert out.root.children[-1].gap_from == 5


def test_plus_bullets_are_details_of_their_dash():
    out = build_outline(["1. Giao Sở A:", "- Chủ trì, trong đó:", "+ khu A: tháng 5;", "+ khu B: tháng 6.",
                         "- Báo cáo."], allow_top_dashes=False)
    (item,) = out.root.children
    assert [c.kind for c in item.children] == ["dash", "dash"]
    assert "khu B" in item.children[0].text


def test_a_heading_and_the_sentence_below_stay_apart():
    out = build_outline(["1. Về cải cách tổ chức bộ máy", "Giao Sở Nội vụ:", "a) Rà soát."], allow_top_dashes=False)
    item = out.root.children[0]
    assert item.text == "Về cải cách tổ chức bộ máy Giao Sở Nội vụ:"
    assert item.atext == "Về cải cách tổ chức bộ máy\nGiao Sở Nội vụ:"


def test_a_directive_in_plain_paragraphs():
    out = build_outline(["Chủ tịch UBND tỉnh có ý kiến chỉ đạo như sau:", "    Giao Sở A chủ trì lập kế hoạch",
                         "của tỉnh.", "    Đề nghị Sở B bố trí kinh phí."], allow_top_dashes=True, paragraphs=True)
    assert out.preamble == ["Chủ tịch UBND tỉnh có ý kiến chỉ đạo như sau:"]
    assert [(c.kind, c.text) for c in out.root.children] == [
        ("para", "Giao Sở A chủ trì lập kế hoạch của tỉnh."), ("para", "Đề nghị Sở B bố trí kinh phí.")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Sở Y tế chủ trì thực hiện.", "Về đầu tư công", "UBND các xã rà soát;"]),
                min_size=1, max_size=30))
def test_numbered_items_in_order_are_all_found(texts):
    out = build_outline([f"{k + 1}. {t}" for k, t in enumerate(texts)], allow_top_dashes=False)
    assert [c.label for c in out.root.children] == [str(k + 1) for k in range(len(texts))]


_LINE = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=60),
    st.sampled_from(["I. NHIỆM VỤ", "1. Sở A.", "a) Làm.", "- Làm;", "+ chi tiết", "2.1. Tiểu mục.", "l. Sở B.",
                     "", "Giao Sở C:", "chỉ đạo như sau:"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, max_size=40), st.booleans(), st.booleans())
def test_no_text_is_lost(lines, dashes, paragraphs):
    """Whatever the lines, the outline never fails and every word lands in the preamble or a node."""
    out = build_outline(lines, allow_top_dashes=dashes, paragraphs=paragraphs)
    kept: list[str] = list(out.preamble)

    def walk(n: Node) -> None:
        for c in n.children:
            kept.extend(c.lines)
            walk(c)
    walk(out.root)
    got = " ".join(kept).split()
    for ln in lines:
        for word in ln.split()[1:]:  # the marker itself may be consumed
            assert word in got
