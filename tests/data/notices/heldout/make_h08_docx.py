"""Builds H08_khanhhoa-tb-2026-11-05-du-an-cham.docx (run once; the .docx is committed).

A constructed notice whose items carry Word automatic numbering (a decimal list whose count runs on
across the typed Roman headings, letters at the second level restarting under each number), with the
header and the signature in borderless tables, as Văn phòng UBND tỉnh drafts are laid out.
usage: python make_h08_docx.py
"""
from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

OUT = Path(__file__).with_name("H08_khanhhoa-tb-2026-11-05-du-an-cham.docx")

HEADER_LEFT = ["ỦY BAN NHÂN DÂN", "TỈNH KHÁNH HÒA", "-------", "Số: 1563/TB-UBND"]
HEADER_RIGHT = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "---------------",
                "Khánh Hòa, ngày 05 tháng 11 năm 2026"]
TITLE = ["THÔNG BÁO", "Kết luận của Chủ tịch UBND tỉnh Phan Thành Nam tại cuộc họp về tình hình triển khai "
         "các dự án du lịch, dịch vụ chậm tiến độ trên địa bàn khu vực Cam Ranh"]
INTRO = [
    "Ngày 30/10/2026, Chủ tịch UBND tỉnh Phan Thành Nam chủ trì cuộc họp về tình hình triển khai các dự án "
    "du lịch, dịch vụ trên địa bàn khu vực Cam Ranh. Tham dự cuộc họp có lãnh đạo các sở: Tài chính, Xây dựng, "
    "Nông nghiệp và Môi trường; Thanh tra tỉnh; Thuế tỉnh Khánh Hòa; UBND phường Cam Ranh và đại diện các nhà "
    "đầu tư. Sau khi nghe Sở Tài chính báo cáo và ý kiến của các thành viên dự họp, Chủ tịch UBND tỉnh kết "
    "luận như sau:",
    "Khu vực bán đảo Cam Ranh được định hướng phát triển thành trung tâm du lịch, dịch vụ chất lượng cao theo "
    "Quy hoạch tỉnh Khánh Hòa thời kỳ 2021 - 2030, tầm nhìn đến năm 2050. Tuy nhiên, đến nay còn 17 dự án chậm "
    "tiến độ, trong đó 09 dự án chậm trên 24 tháng, gây lãng phí đất đai và ảnh hưởng đến môi trường đầu tư "
    "của tỉnh.",
]
# (level or None for a typed paragraph, text)
BODY = [
    (None, "I. ĐỐI VỚI CÁC DỰ ÁN ĐANG TRIỂN KHAI"),
    (0, "Công ty TNHH Du lịch Bãi Dài Xanh (chủ đầu tư Dự án Khu du lịch sinh thái Bãi Dài):"),
    (1, "Khẩn trương hoàn thiện hồ sơ điều chỉnh quy hoạch chi tiết tỷ lệ 1/500, gửi Sở Xây dựng thẩm định "
        "trước ngày 30/11/2026."),
    (1, "Cam kết bằng văn bản tiến độ triển khai các hạng mục còn lại, gửi UBND tỉnh trước ngày 15/11/2026; "
        "quá thời hạn nêu trên mà không có cam kết, giao Sở Tài chính tham mưu xử lý theo quy định của pháp "
        "luật về đầu tư."),
    (0, "Sở Xây dựng chủ trì, phối hợp với Sở Nông nghiệp và Môi trường, UBND phường Cam Ranh thẩm định hồ sơ "
        "điều chỉnh quy hoạch nêu trên trong thời hạn 15 ngày kể từ ngày nhận đủ hồ sơ hợp lệ."),
    (None, "II. ĐỐI VỚI CÁC DỰ ÁN CHẬM TRIỂN KHAI"),
    (0, "Sở Tài chính chủ trì, phối hợp với Sở Nông nghiệp và Môi trường, Thanh tra tỉnh rà soát các dự án chậm "
        "tiến độ trên 24 tháng so với tiến độ ghi tại quyết định chấp thuận chủ trương đầu tư; đề xuất chấm dứt "
        "hoạt động hoặc điều chỉnh tiến độ theo quy định, báo cáo UBND tỉnh trước ngày 20/12/2026."),
    (0, "Sở Nông nghiệp và Môi trường:"),
    (1, "Tham mưu thu hồi đất đối với các dự án đã có quyết định chấm dứt hoạt động; hoàn thành trong Quý I/2027."),
    (1, "Phối hợp với Sở Tài chính xác định các khoản nghĩa vụ tài chính về đất đai nhà đầu tư còn nợ; đôn đốc "
        "nộp vào ngân sách nhà nước."),
    (0, "Đề nghị Thuế tỉnh Khánh Hòa phối hợp với Sở Tài chính cung cấp thông tin về tình hình thực hiện nghĩa vụ "
        "thuế của các nhà đầu tư có dự án chậm triển khai trước ngày 30/11/2026."),
    (None, "III. TỔ CHỨC THỰC HIỆN"),
    (0, "Giao Văn phòng UBND tỉnh theo dõi, đôn đốc các cơ quan, đơn vị thực hiện nội dung Thông báo này."),
    (None, "Văn phòng UBND tỉnh thông báo để các cơ quan, đơn vị, nhà đầu tư liên quan biết, thực hiện./."),
]
RECIPIENTS = ["Nơi nhận:", "- CT, các PCT UBND tỉnh;", "- Các sở: TC, XD, NNMT;", "- Thanh tra tỉnh;",
              "- Thuế tỉnh Khánh Hòa;", "- UBND phường Cam Ranh;", "- Công ty TNHH Du lịch Bãi Dài Xanh;",
              "- Lưu: VT, KT."]
SIGNATURE = ["TL. CHỦ TỊCH", "KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "", "", "", "Trương Minh Hiếu"]

NUMBERING = (
    '<w:abstractNum %s w:abstractNumId="90">'
    '<w:multiLevelType w:val="hybridMultilevel"/>'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%%1."/>'
    '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="0" w:firstLine="567"/></w:pPr></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%%2)"/>'
    '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="0" w:firstLine="567"/></w:pPr></w:lvl>'
    '</w:abstractNum>' % nsdecls("w"))


def main() -> None:
    d = docx.Document()
    numbering = d.part.numbering_part.element
    numbering.insert(0, parse_xml(NUMBERING))  # abstractNum elements come before num elements
    num = parse_xml('<w:num %s w:numId="90"><w:abstractNumId w:val="90"/></w:num>' % nsdecls("w"))
    numbering.append(num)

    def cell_lines(cell, lines):
        cell.paragraphs[0].text = lines[0]
        for line in lines[1:]:
            cell.add_paragraph(line)

    head = d.add_table(rows=1, cols=2)
    cell_lines(head.rows[0].cells[0], HEADER_LEFT)
    cell_lines(head.rows[0].cells[1], HEADER_RIGHT)
    for line in TITLE:
        d.add_paragraph(line)
    for line in INTRO:
        d.add_paragraph(line)
    for level, text in BODY:
        p = d.add_paragraph(text)
        if level is not None:
            ppr = p._p.get_or_add_pPr()
            ppr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    foot = d.add_table(rows=1, cols=2)
    cell_lines(foot.rows[0].cells[0], RECIPIENTS)
    cell_lines(foot.rows[0].cells[1], SIGNATURE)
    core = d.core_properties
    core.author, core.title = "dondoc test corpus", "constructed test notice"
    from datetime import datetime
    core.created = core.modified = datetime(2026, 12, 2)
    d.save(OUT)


if __name__ == "__main__":
    main()
