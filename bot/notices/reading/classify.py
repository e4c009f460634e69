"""The classify stage: what a piece of the body is, task or not.

- a letter's addressees ("Kính gửi: - Sở A; - Sở B.") are recipients (:func:`cut_recipients`);
- a paragraph after sub-items is a task when it names who does it, deadline-only when it only
  sets a time for the items above, else narrative (:func:`para_kind`);
- an item that only approves or acknowledges ("Đồng ý ...", "Ghi nhận ...") is no task, unless it
  goes on to assign (:func:`assigns_after`); a section that announces an assessment ("ĐÁNH GIÁ
  CHUNG") is no task (:func:`section_reason`, :func:`narrative_section`), unless its items assign
  (then it is kept and flagged: a garbled heading); dashes that only list things are one task
  (:func:`plain_list`).
"""

from __future__ import annotations

import re
from typing import Literal

from bot.notices import deadlines as dl
from bot.notices.normalize import fold_str, kw
from bot.notices.reading import lexicon as lex
from bot.notices.reading.addressees import _GIAO, assignees
from bot.notices.reading.context import Context
from bot.notices.reading.names import _ASSIGNS, _ASSIGNS_STRONG, _QUAL_VERBS, _STOP_WORDS
from bot.notices.reading.outline import _DASH_RE, Node, _ends_sentence, _mostly_upper

__all__ = ["cut_recipients", "para_kind", "para_is_task", "section_reason", "leaf_reason", "narrative_section",
           "section_leaf_reason",
           "plain_list", "assigns_after", "assigns_below"]


_NOT_TASK = kw(r"(?:" + lex.alternation(lex.NOT_TASK) + r")(?![a-z*])", bounded=False)
_ASSESSMENT = lex.rx(lex.ASSESSMENT)
_TASKISH = lex.rx(lex.TASKISH)
_TASKISH_GIAO = kw(r"(?<![a-z0-9*])giao(?![a-z0-9*])", bounded=False, strict=True)  # "giao" in a heading
_TO = kw(lex.ADDRESSEES, bounded=False)
# a directive's last words to everyone, not a task: "Yêu cầu các cơ quan, đơn vị nghiêm túc triển khai thực hiện./."
_EXHORTATION = kw(lex.EXHORTATION, bounded=False)
# a sub-item that starts with one of these is a task, not an entry of a plain list
_TASK_VERB = re.compile("|".join(p.pattern for p in (_STOP_WORDS, _QUAL_VERBS, lex.rx(lex.TASK_VERBS))))


def cut_recipients(body: list[str]) -> tuple[list[str], list[str]]:
    """Cut a letter's addressees out of the body: "Kính gửi: - Sở A; - Sở B." (on one line or one a
    line) are recipients, not tasks."""
    out: list[str] = []
    recipients: list[str] = []
    i = 0
    while i < len(body):
        head = body[i].lstrip()[:1]
        m = _TO.match(fold_str(body[i])) if head in ("K", "k") else None  # folding every line costs
        if not m:
            out.append(body[i])
            i += 1
            continue
        rest = body[i].strip()[len(body[i].strip()) - len(fold_str(body[i]).strip()[m.end():].strip()):].strip()
        if rest:
            recipients.extend(x.strip(" -–;.") for x in re.split(r";\s*|\s+-\s+", rest) if x.strip(" -–;."))
        i += 1
        while i < len(body):
            ln = body[i].strip()
            if not ln:
                i += 1
                continue
            if _DASH_RE.match(ln) and len(ln) <= 120 or (ln.endswith((";", ".")) and len(ln) <= 80
                                                        and not recipients[-1:] == [] and not rest):
                recipients.append(ln.lstrip("-–—•+* ").rstrip(" ;."))
                i += 1
                continue
            break
        out.append("")
    return out, recipients


def para_is_task(ctx: Context, node: Node) -> bool:
    """A paragraph after sub-items is a task when it names who does it ("Giao Văn phòng UBND tỉnh
    theo dõi, đôn đốc ..."); one that only sets a time ("Các nhiệm vụ trên hoàn thành trước ngày
    30/9/2024.") gives it to the items above; anything else is narrative."""
    if node.para_task is None:
        text = node.atext
        leads = assignees(ctx, text, [])[0] if text else []
        closing = _EXHORTATION.search(fold_str(text)) and len(text.split()) <= 25 and \
            not dl.find_deadlines(text, issued_on=ctx.issued)
        node.para_task = bool(leads) and not _NOT_TASK.match(fold_str(text)) and not closing
    return node.para_task


def assigns_below(node: Node) -> bool:
    """Whether items below a section assign work: "Giao X", "X chủ trì", "đề nghị X", "phối hợp với"."""
    for c in node.children:
        if c.kind == "para":
            continue
        f = fold_str(c.text)
        if _GIAO.search(f) or _ASSIGNS_STRONG.search(f) or assigns_below(c):
            return True
    return False


def plain_list(ctx: Context, node: Node) -> bool:
    """Dashes under an item that only list things (no assignee, no deadline, no verb to start
    with: "- tiêm chủng mở rộng; - an toàn thực phẩm."): the item is one task, not one per dash."""
    dashes = [c for c in node.children if c.kind == "dash"]
    if not dashes or len(dashes) != len(node.children) or not node.text or node.kind == "top":
        return False
    for d in dashes:
        text = d.text
        f = fold_str(text)
        if d.children or len(text.split()) > 20:
            return False
        head = " ".join(f.split()[:4])
        if _TASK_VERB.search(head) or _GIAO.search(head):
            return False
        if dl.find_deadlines(text, issued_on=ctx.issued) or dl.find_recurring(text):
            return False
        if assignees(ctx, text, [])[0]:
            return False
    return True


def assigns_after(folded: str, pos: int) -> bool:
    """Whether an item that starts by approving ("Thống nhất nội dung báo cáo của Sở X") goes on to
    assign something: "giao", "chủ trì", "đề nghị", ... anywhere, or a verb such as "tổ chức
    thực hiện" in a later clause ("...; Sở X tổ chức thực hiện")."""
    if _GIAO.search(folded, pos) or _ASSIGNS_STRONG.search(folded, pos):
        return True
    clause = re.search(r"[;.:]\s*\S", folded[pos:])
    return bool(clause and _ASSIGNS.search(folded, pos + clause.start()))


def narrative_section(node: Node) -> bool:
    """A Roman section with no items of its own whose heading announces an assessment
    ("ĐÁNH GIÁ CHUNG", "Kết quả đạt được", "Tình hình ..."), not tasks."""
    heading = node.lines[0] if node.lines else ""
    title = re.split(r"[:.]", heading, maxsplit=1)[0]
    if title != heading and len(title.split()) <= 8:
        heading = title  # "I. Đánh giá chung: Trong quý I ..."
    elif not heading or _ends_sentence(heading) and not _mostly_upper(heading):
        return False
    h = fold_str(heading)
    return bool(_ASSESSMENT.search(h)) and not _TASKISH.search(h) and not _TASKISH_GIAO.search(h)


ParaKind = Literal["task", "deadline-only", "narrative"]


def para_kind(ctx: Context, node: Node) -> ParaKind:
    """A paragraph after sub-items: a task of its own (it names who does it), deadline-only (it only
    sets a time or a recurrence for the items above: "Các nhiệm vụ trên hoàn thành trước ngày
    30/9/2024."), or narrative."""
    if para_is_task(ctx, node):
        return "task"
    text = node.text
    if dl.pick_deadline(dl.find_deadlines(text, issued_on=ctx.issued)) is not None or dl.find_recurring(text):
        return "deadline-only"
    return "narrative"


def section_reason(ctx: Context, node: Node) -> Literal["assessment", "doubt"] | None:
    """Whether the items of a Roman section are no tasks: "assessment" when its heading announces one
    ("ĐÁNH GIÁ CHUNG", "HẠN CHẾ"); "doubt" for a heading read as an assessment over items that assign
    ("Giao Sở X ...", "... chủ trì"), perhaps a garbled title: the items stay tasks, flagged; None
    when the heading says nothing of the kind."""
    line = node.lines[0] if node.lines else ""
    heading = fold_str(line)
    if not (_ASSESSMENT.search(heading) and not _TASKISH.search(heading) and not _TASKISH_GIAO.search(heading)):
        return None
    if assigns_below(node):
        ctx.warn("real.heading_doubt", ref=node.ref, heading=" ".join(line.split()[:8]))
        return "doubt"
    return "assessment"


def leaf_reason(ctx: Context, node: Node, text: str) -> str | None:
    """Why an item is no task: "assessment" ("Tình hình kinh tế - xã hội tháng 5 tiếp tục chuyển biến
    tích cực.", with no time and assigning nothing), "not_task" (it approves or acknowledges: "Đồng ý
    ...", "Ghi nhận ...", and assigns nothing after: flagged); None for a task."""
    first = fold_str(text)
    if _ASSESSMENT.match(first) and not assigns_after(first, 0) and \
            not dl.find_deadlines(text, issued_on=ctx.issued) and not dl.find_recurring(text):
        return "assessment"
    nt = _NOT_TASK.match(first)
    if nt and not assigns_after(first, nt.end()):
        ctx.warn("not_task", ref=node.ref, start=" ".join(text.split()[:4]))
        return "not_task"
    return None


def section_leaf_reason(ctx: Context, node: Node, text: str) -> str | None:
    """Why a section without items of its own is no task: "narrative" for a Roman section whose
    heading stands on its own line over a paragraph that names nobody to act and no time ("II. QUAN
    ĐIỂM CHỈ ĐẠO" / "Các Chương trình ... có ý nghĩa ..."); "assessment" for a section numbered 1., 2.
    instead of I., II. whose short heading announces an assessment over such a paragraph ("1. Đánh
    giá chung" / "Ba dự án được khởi công ngày ..."). None otherwise."""
    if len(node.lines) < 2:
        return None
    if node.kind == "roman" and _mostly_upper(node.lines[0]) and not assignees(ctx, text, [])[0] and \
            not dl.find_deadlines(text, issued_on=ctx.issued):
        return "narrative"
    if node.kind == "num" and node.parent is not None and node.parent.kind == "top" and \
            len(node.lines[0].split()) <= 8 and node.lines[1][:1].isupper() and \
            _ASSESSMENT.match(fold_str(node.lines[0])) and narrative_section(node) and \
            not assignees(ctx, text, [])[0]:
        return "assessment"
    return None
