"""The Vietnamese cue words of dondoc, as data, in one place.

The notice reader (:mod:`bot.notices.reader`, :mod:`bot.notices.deadlines`), the agency directory
(:mod:`bot.directory`: the words around a name that are not part of it) and the progress detector
(:mod:`bot.tracking`) all take their cue words from here. Words for the reader and the directory
are written without diacritics, lower case, as :func:`bot.notices.normalize.kw` expects (it makes
them tolerant of OCR noise); :func:`rx` compiles a list through ``kw()``. Words the progress
detector matches are written with their diacritics (a reply typed on a phone has them, and
"đã" is not "đa"); it folds them itself.

To teach the reader a new habit of the offices, add the word to its list here; a test in
tests/test_notice_rules.py or tests/test_notice_corpus.py should show the notice that needs it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.notices.normalize import kw

# ------------------------------------------------------------------ who does what

#: Verbs that assign a task to the name before or after them ("Sở X chủ trì", "đề nghị Sở X").
ASSIGN_STRONG = ("chu tri", "phoi hop voi", "tham muu", "yeu cau", "de nghi", "chiu trach nhiem",
                 "co trach nhiem", "khan truong")
#: Any verb that shows an item asks for work (for "Thống nhất ...; Sở X tổ chức thực hiện").
ASSIGN_ANY = ("chu tri", "phoi hop", "tham muu", "yeu cau", "de nghi", "chiu trach nhiem", "co trach nhiem",
              "khan truong", "to chuc", "trien khai", "thuc hien", "bao cao", "hoan thanh", "chi dao",
              "huong dan")
#: An item that starts with one of these approves or acknowledges; it is no task.
NOT_TASK = ("dong y", "ghi nhan", "thong nhat chu truong", "thong nhat", "bieu duong", "danh gia cao",
            "hoan nghenh", "chap thuan", "nhat tri", "khen ngoi", "tran trong", "cam on")
#: Titles before an agency that are not part of its name ("Giám đốc Sở X", "Thủ trưởng các sở").
HEAD_TITLES = ("thu truong", "nguoi dung dau", "lanh dao", "giam doc", "chu tich")
TITLES = HEAD_TITLES + ("tap the lanh dao",)
#: Parties written in lower case inside a sentence ("và đơn vị tư vấn lập quy hoạch").
LOWER_PARTIES = ("don vi tu van", "nha dau tu", "chu dau tu", "doanh nghiep")

# ------------------------------------------------------------------ names and parties

#: The head words of an agency's name: a name the directory does not know is kept as a party only
#: when it starts with one ("Sở ...", "Trung tâm ...", "Công ty ...", "Nhà đầu tư ..."). Compiled
#: strict (each vowel itself or "*"); a vowel in brackets is exact ("ho[i]": "hồ sơ" through OCR
#: noise is no "Hội").
AGENCY_HEADS = (
    "so", "ban", "ubnd", "uy ban", "oy ban", "cong an", "bo chi huy", "bch", "van phong", "vp", "thanh tra",
    "chi cuc", "cuc", "kho bac", "ngan hang", "bao", "dai", "truong", "ho[i]", "lien doan", "tinh doan",
    "mat tran", "vien", "trung tam", "benh vien", "cong ty", "bhxh", "bao hiem", "quy", "chi nhanh", "hdnd",
    "hoi dong", "toa an", "tand", "vksnd", "tinh uy", "huyen uy", "thanh uy", "phong", "tong cuc", "ubmttq",
    "mttq", "dang uy", "cac to dan pho", "to dan pho", "cac thon", "thon", "cac khu pho", "khu pho",
    "nha dau tu", "chu dau tu", "tap doan", "tong cong ty", "doanh nghiep", "don vi tu van",
    # the tax office since 2025 ("Thuế tỉnh Khánh Hòa", "Thuế cơ sở 3"), never the tax itself
    "thue tinh", "thue thanh pho", "thue co so")
#: A head word followed by one of these is a common word, not an agency ("bảo đảm", "báo cáo", "quy định").
HEAD_NOT_BEFORE = {
    "bao": ("dam", "cao", "ve", "ton", "quan", "hiem"),
    "quy": ("dinh", "che", "hoach", "trinh", "mo", "tac", "pham", "chuan", "luat", "uoc", "nap", "trach"),
}
#: "Bộ" followed by one of these is a ministry ("Bộ Tài chính", "Bộ Xây dựng"), kept as written (never a Sở).
MINISTRY_FIELDS = ("tai", "xay", "cong", "noi", "ngoai", "giao", "y", "tu", "ke", "nong", "quoc", "van", "khoa",
                   "lao", "thong", "dan", "chinh", "phong")
#: A head noun alone is no name ("Phòng, chống dịch", "Ban hành"): these need words after them.
BARE_HEADS = ("ban", "trung tam", "hoi dong", "chi cuc", "tong cuc", "cuc", "vien", "phong", "quy", "hoi", "dai",
              "bao", "truong", "so", "cong ty", "chi nhanh")
#: Units named after what they do ("Ban Chỉ đạo", "Trung tâm Giám sát"): a verb right after the head is
#: part of the name.
FUNCTION_HEADS = ("ban", "trung tam", "hoi dong", "chi cuc", "tong cuc", "cuc", "vien", "phong", "to cong tac", "quy")
#: Parties named by their role in a project ("Nhà đầu tư của 02 dự án ...", "Chủ đầu tư Dự án ...").
ROLE_PARTIES = ("nha dau tu", "chu dau tu")
#: What such a party's project is called, and the words of a project's name.
PROJECT_WORDS = ("du an", "tuyen")
PROJECT_NAME_WORDS = ("duong bo", "cao toc", "duong", "tuyen", "khu", "cum", "nha may")
#: What starts another party after a named list ("UBND các xã: A, B và Trung tâm ..."); not a place.
OTHER_PARTY_HEADS = ("ubnd", "uy ban", "oy ban", "so", "trung tam", "cong an", "ban quan ly", "bo chi huy",
                     "van phong", "nha dau tu", "cong ty")
#: Words after a group that narrow it to some members ("UBND các xã vùng đồng bào dân tộc thiểu số",
#: "UBND các xã, phường có dự án"): such an addressee is not the whole group. Matched exactly ("bi" is
#: not "bao"), in this order.
SUBSET_WORDS = (
    "dang ky", "vung", "co", "thuoc", "ven", "bien gioi", "mien nui", "noi", "khu vuc", "dac biet", "trong vung", "trong dien",
    "trong khu", "trong danh sach", "trong pham vi", "nam trong", "nam tren", "nam o", "nam doc", "duoc chon",
    "duoc lua chon", "duoc phe duyet", "chua", "dat chuan", "xay ra", "bi", "thi diem", "ngheo", "kho khan", "ngoai",
    "giap", "tiep giap", "doc", "thuoc dien", "la dia ban")
SUBSET_NOT_BEFORE = {"co": ("trach nhiem", "lien quan", "y kien")}
#: Function words that end a name the directory does not know, matched exactly ("Cần Thơ" is a name).
STOP_EXACT = ("de", "nham", "can", "theo", "ve viec", "sau khi", "truoc", "trong", "la", "duoc", "phai", "se", "dang",
              "gui", "trinh", "lam")
STOP_EXACT_NOT_BEFORE = {"can": ("tho",)}
STOP_EXACT_NOT_AFTER = {"trinh": ("cong", "chuong", "quy", "lo", "to", "tien")}  # "công trình", "quy trình"
#: Words before "giao" that make it no assignment ("được giao", "đã giao", "Sở Giao thông", "lĩnh vực giao").
GIAO_NOT_AFTER = ("duoc", "da", "ban", "chuyen", "so", "bo", "nganh", "phong", "cuc", "linh vuc", "ve", "hoac", "dang",
                  "moi", "vua", "se")
#: What "phù hợp với" (in keeping with) is followed by: OCR may print it as "phối hợp với", no coordination.
IN_KEEPING_WITH = ("quy", "yeu cau", "thuc te", "tinh hinh", "dieu kien", "nhu cau", "tieu chuan", "chu truong",
                   "dinh huong", "chuc nang", "thuc tien", "dac diem", "dac thu", "ke hoach", "phap luat")

# ------------------------------------------------------------------ the formulas of a notice (kw() patterns)

#: The national motto above the header (cut out of the issuer).
MOTTO_NAME = "cong hoa xa hoi chu nghia viet nam"
MOTTO_WORDS = r"doc lap\s*-+\s*tu do\s*-+\s*hanh phuc"
#: How the body's first sentence starts after the title ("Ngày 10/5/2025, ...", "Căn cứ ...", "Thực hiện ...").
BODY_OPENERS = ("ngay", "vao ngay", "sang ngay", "chieu ngay", "toi ngay", "can cu", "thuc hien", "tai", "vua qua",
                "theo", "tren co so")
#: The line that ends the body: the distribution list, or the signature's "TM./KT./TL. ..." line.
END_LINE = r"noi nhan|(?:tm|kt|tl|tuq|q)\s*[./]\s*(?:uy ban|ubnd|chu tich|giam doc|chanh|bo truong|truong ban)"
#: The closing formula ("UBND tỉnh thông báo để các cơ quan biết, thực hiện", "Trên đây là ...").
CLOSING = r"(?:[a-z* ]{0,60}thong bao (?:de|cho|den|y kien)|tren day la|noi nhan)"
#: A letter's addressees ("Kính gửi: ...").
ADDRESSEES = r"\s*kinh gui\s*:?"
#: A directive's last words to everyone, no task ("Yêu cầu các cơ quan nghiêm túc triển khai thực hiện./.").
EXHORTATION = r"(?:nghiem tuc |khan truong |to chuc )?(?:trien khai )?thuc hien(?: nghiem tuc)?\s*[./]*\s*$"
#: An item that points to an annex of tasks ("... thực hiện các nhiệm vụ tại Phụ lục kèm theo").
ANNEX_POINTER = (r"(?:tai|theo|o|trong) (?:cac )?phu luc|phu luc (?:kem theo|dinh kem|chi tiet)|"
                 r"(?:bieu|bang|danh muc) (?:chi tiet )?kem theo")
#: A line that gives the time of the item above ("Thời gian hoàn thành: ...").
TIME_LINE = r"(?:thoi gian|thoi han|tien do|han)(?: hoan thanh| thuc hien)?\s*:"
#: The end of a directive's opening, before its paragraphs of tasks ("... có ý kiến chỉ đạo như sau:").
OPENER = r"(?:y kien )?(?:chi dao|ket luan|yeu cau|de nghi)(?: nhu sau| cu the nhu sau| sau day)?\s*:\s*$"
#: "giao" (assign), not "giao ban" (a briefing: "họp giao ban tháng", "giao ban tuần"); strict.
GIAO = (r"(?<![a-z0-9*])giao(?:\s+cho)?(?![a-z0-9*])"
        r"(?!\s+ban\s+(?:th[a-z*]{2,3}g|tuan|quy|n[a-z*]{1,2}m|dinh|truc|cong|lan|\d))")
#: "chủ trì" (leads), "phối hợp với" (coordinates) and its forms.
CHU_TRI = r"chu tri"
#: ... never "chi trả" (to pay: "bố trí đủ vốn chi trả"), which the OCR-tolerant "chủ trì" would take.
NOT_CHU_TRI = r"chi\s+tra(?![a-z0-9*])"
PHOI_HOP = r"(?:phoi hop(?: chat che)?(?: voi| cung)?|voi su phoi hop cua|cung voi)"
#: Words before a lead that are not part of its name ("Giao ...", "Đề nghị ...", "Đồng thời ...").
LEAD_WORDS = ("de nghi", "yeu cau", "dong thoi", "va")
#: Verbs by which a preamble addresses everyone ("UBND tỉnh yêu cầu các sở, ban, ngành ...").
AUDIENCE_VERBS = ("yeu cau", "de nghi", "chi dao")
#: "Đối với X: ...", "Về X: ...", "Trách nhiệm của X": a party or a topic before the item.
FOR = r"doi voi\s+"
TOPIC = r"(?:ve|doi voi)\s+[^:;.]{1,120}:\s*"
DUTY_OF = r"(?:trach nhiem|nhiem vu) (?:cua|thuoc)\s+"
#: A heading addressed to all the owners of public projects or investors ("1. Các chủ đầu tư:").
ROLE_GROUP = r"cac (?:chu dau tu|nha dau tu)\s*:"

# ------------------------------------------------------------------ sections

#: Words of a section title that announce an assessment ("I. ĐÁNH GIÁ CHUNG"), not tasks.
ASSESSMENT = ("danh gia", "ket qua", "tinh hinh", "han che", "ton tai", "nhan xet", "uu diem", "khuyet diem")
#: Words of a section title that announce tasks ("II. NHIỆM VỤ, GIẢI PHÁP").
TASKISH = ("nhiem vu", "giai phap", "chi dao", "de nghi", "to chuc thuc hien", "yeu cau", "phuong huong",
           "ke hoach", "trong tam")

# ------------------------------------------------------------------ where a name ends

#: Verbs and function words that end a name the directory does not know.
STOP_VERBS = (
    "chu tri", "phoi hop", "tham muu", "chiu trach nhiem", "co trach nhiem", "nghien cuu", "khan truong",
    "tiep tuc", "to chuc", "chi dao", "huong dan", "thuc hien", "trien khai", "xay dung", "ra soat", "bao cao",
    "de xuat", "theo doi", "kiem tra", "tong hop", "quan triet", "danh gia", "tap trung", "chu dong", "lam ro",
    "day manh", "hoan thanh", "hoan thien", "cung cap", "giai quyet", "tang cuong", "xem xet", "bao dam",
    "dam bao", "uu tien", "phan cong", "tiep thu", "cap nhat", "thuong xuyen", "kip thoi", "khac phuc",
    "ban hanh", "thanh lap", "sua doi", "bo sung", "kien toan", "tiep nhan", "xu ly", "dieu chinh",
    "tuyen truyen", "giam sat", "ho tro", "nang cao", "chuan bi", "du thao", "soan thao", "de nghi",
    "thong nhat", "dieu hanh", "dieu tra", "khao sat", "phan tich", "tham dinh", "trinh", "van dong")
#: More verbs, that end a qualifier after a group ("UBND các xã có dự án tháo gỡ vướng mắc ...").
QUALIFIER_VERBS = (
    "thao go", "day nhanh", "lap", "van dong", "don doc", "giai ngan", "boi thuong", "bo tri", "huy dong",
    "phan bo", "quan ly", "tiep tuc", "khan truong", "chu dong", "tap trung", "quyet liet", "rut kinh nghiem",
    "bao ve", "phat huy", "ap dung", "xac dinh", "hoan tat", "ket noi", "so hoa", "van hanh", "cap", "thu hoi",
    "di doi", "sap xep", "can doi", "ky", "nop", "gui")
#: Verbs that start a task (a dash starting with one is a task, not an entry of a plain list).
TASK_VERBS = (
    "ra soat", "don doc", "nghien cuu", "tham muu", "phoi hop", "chu tri", "giao", "yeu cau", "tiep tuc",
    "khan truong", "quyet liet", "lap", "bo tri", "dua", "day", "xu ly", "thu hoi", "dau tu", "mua sam",
    "sua chua", "nang cap", "cai tao", "phat dong", "ky ket", "bo sung", "di doi", "so tan", "tuan tra",
    "cung co", "trien khai", "van hanh", "ban giao", "nghiem thu", "quyet toan", "dieu tiet", "phan cong",
    "boi duong", "dao tao", "tap huan", "tuyen dung", "thi tuyen", "xet tuyen", "khen thuong", "xu phat")
#: Words a line cannot end on when it is a heading (the text goes on: a wrapped line).
OPEN_ENDED = ("voi", "cua", "va", "cac", "cho", "tai", "theo", "ve", "the", "nhu", "la", "de", "o", "trong",
              "hoac", "nhung", "mot", "ngay", "thang", "nam")

# ------------------------------------------------------------------ times that are no deadlines

#: A heading's time that is a goal or plan, not the deadline of the items below.
GOALS = ("phan dau", "muc tieu", "cac nam tiep theo", "cac thang tiep theo", "theo ke hoach", "du kien")
#: In the clause before a date: a planned start or a scope ("dự kiến khởi công trước ngày 30/4").
PLANS = ("du kien", "khoi cong", "nhiem vu hang dau", "nhiem vu trong tam", "nhiem vu quan trong",
         "nhiem vu uu tien", "nhiem vu chinh tri")
#: ... unless the clause says something is to be finished then ("hoàn thành thi công trước ngày 30/6").
COMPLETION = ("hoan thanh", "xong", "ban giao", "nghiem thu", "dua vao su dung", "ban hanh", "bao cao",
              "trinh ubnd", "trinh uy ban", "trinh phe duyet", "trinh cap")

# ------------------------------------------------------------------ the directory

#: Words around a name that are not part of it ("phối hợp với Sở X", "Giám đốc Sở Y"), as tokens.
NAME_FILLER = ("phoi hop voi", "phoi hop", "giao cho", "giao", "voi", "va", "cung", "de nghi", "yeu cau",
               "chi dao", "do", "cua", "cho") + HEAD_TITLES + ("truong ban", "chanh van phong", "chanh thanh tra")

#: A name part followed by one of these goes on ("UBND" + "huyện Tuy Phước"), as tokens.
NAME_CONTINUES = ("huyen", "xa", "thi", "thanh", "phuong", "quan", "tinh", "cap", "cac", "dac")
#: Heads too generic to tell an agency by themselves ("Sở", "Ủy ban nhân dân"), as token phrases.
GENERIC_HEADS = ("uy ban nhan dan", "hoi dong nhan dan", "so", "ban", "van phong", "cong an", "thanh tra")

#: Collective addressees as the directory knows them (folded words), by group id.
GROUP_FORMS: dict[str, list[str]] = {
    "all": [
        "cac so ban nganh dia phuong", "cac co quan don vi dia phuong", "cac co quan don vi",
        "cac so ban nganh uy ban nhan dan cac huyen thi xa thanh pho",
        "cac so ban nganh uy ban nhan dan cac huyen thanh pho", "cac so nganh dia phuong",
        "cac so ban nganh don vi dia phuong", "cac co quan don vi dia phuong tren dia ban tinh",
        "cac so ban nganh dia phuong tren dia ban tinh", "cac co quan dia phuong",
        "cac don vi dia phuong", "cac so ban nganh cac dia phuong",
    ],
    "so-ban-nganh": [
        "cac so ban nganh", "cac so nganh", "cac so ban nganh thuoc tinh", "cac so ban nganh tinh",
        "cac so ban nganh cua tinh", "cac so ban nganh tren dia ban tinh", "cac co quan chuyen mon",
        "cac co quan chuyen mon thuoc uy ban nhan dan tinh", "cac so",
    ],
    "dia-phuong": ["cac dia phuong", "cac dia phuong tren dia ban tinh"],
    "huyen": [
        "uy ban nhan dan cac huyen thi xa thanh pho", "cac huyen thi xa thanh pho",
        "uy ban nhan dan cac huyen thanh pho thi xa", "uy ban nhan dan cac huyen thanh pho",
        "uy ban nhan dan cap huyen", "cac huyen thanh pho", "uy ban nhan dan cac huyen",
        "uy ban nhan dan cac huyen thi xa thanh pho thuoc tinh",
    ],
    "xa": [
        "uy ban nhan dan cac xa phuong thi tran", "cac xa phuong thi tran",
        "uy ban nhan dan cac xa phuong", "uy ban nhan dan cap xa", "uy ban nhan dan cac xa",
        "cac xa phuong", "uy ban nhan dan cac xa phuong dac khu",
    ],
    "trung-uong": [
        "cac co quan trung uong tren dia ban tinh", "cac co quan trung uong tren dia ban",
        "cac co quan trung uong dong tren dia ban tinh", "cac co quan trung uong",
        "cac co quan nganh doc trung uong tren dia ban tinh",
    ],
    "lien-quan": [
        "cac co quan don vi lien quan", "cac co quan don vi co lien quan", "cac co quan lien quan",
        "cac don vi lien quan", "cac so nganh lien quan", "cac so ban nganh lien quan",
        "cac co quan don vi dia phuong lien quan", "cac dia phuong lien quan",
        "cac don vi co lien quan", "cac co quan co lien quan",
        "cac co quan don vi dia phuong co lien quan",
    ],
}
#: Words before a collective addressee that are not part of it ("Thủ trưởng các sở, ban, ngành").
GROUP_LEAD = HEAD_TITLES + ("giao", "phoi hop voi", "voi", "de", "yeu cau")

# ------------------------------------------------------------------ progress in replies (with diacritics)

#: What an agency's reply says about the work: (progress value, phrase). Order: first match wins.
PROGRESS_PHRASES = (
    ("extension", "gia hạn"), ("extension", "lùi thời hạn"), ("extension", "lùi hạn"),
    ("extension", "kéo dài thời hạn"), ("extension", "thêm thời gian"),
    ("blocked", "vướng mắc"), ("blocked", "vướng"), ("blocked", "khó khăn"),
    ("blocked", "chưa thể thực hiện"), ("blocked", "không thể thực hiện"),
    ("done", "hoàn thành"), ("done", "hoàn tất"), ("done", "xong"),
    ("in_progress", "đang triển khai"), ("in_progress", "đang thực hiện"), ("in_progress", "đang tiến hành"),
    ("in_progress", "đang xử lý"), ("in_progress", "đang làm"), ("in_progress", "đang hoàn thiện"),
    ("in_progress", "đã triển khai"), ("in_progress", "triển khai thực hiện"),
)
#: Words that start another clause of a reply ("Đã xong phần A, nhưng phần B còn vướng").
CLAUSE_BREAKS = ("nhưng", "tuy nhiên")
#: Words before a phrase that deny it ("chưa hoàn thành", "không vướng mắc").
NEGATIONS = ("chưa", "không", "ko", "k", "kg", "chẳng", "chả", "hông")
#: Words before "hoàn thành" that make it a plan, not a fact ("dự kiến hoàn thành").
NOT_YET = ("kiến", "sẽ", "sắp", "để", "nhằm", "bảo", "đấu", "gắng", "hạn", "đang", "cần")


def alternation(words: tuple[str, ...], *, not_before: dict[str, tuple[str, ...]] | None = None,
                not_after: dict[str, tuple[str, ...]] | None = None) -> str:
    """The words as one regex alternation (for ``kw()``), in their order; a word of ``not_before``
    does not count when one of its words follows it, nor one of ``not_after`` when one precedes it."""
    out = []
    for w in words:
        ahead = (not_before or {}).get(w)
        behind = (not_after or {}).get(w)
        rx = "".join(f"(?<!{b} )" for b in behind) if behind else ""
        rx += w
        if ahead:
            rx += "(?! (?:" + "|".join(ahead) + "))"
        out.append(rx)
    return "|".join(out)


@lru_cache(maxsize=None)
def rx(words: tuple[str, ...], *, bounded: bool = True) -> re.Pattern[str]:
    """One list compiled through ``kw()`` (OCR-tolerant, on folded text)."""
    return kw(alternation(words), bounded=bounded)
