#!/usr/bin/env python3
"""Writes a minimal real Excel workbook (.xlsx, Office Open XML) from CSV files, with the standard library only.

    python3 tools/make_xlsx.py OUT.xlsx "Sheet name=table.csv" ... [--numbers COL,...] [--dates COL,...]

Each CSV becomes one sheet, its header in row 1, as a CRM's "export to Excel" writes it (HubSpot, Salesforce
"Export details"): text in the shared-strings table, numbers as numbers (`--numbers`: the cell holds 1001, not
the text "1001"), dates and times as Excel day counts styled as dates (`--dates`: `YYYY-MM-DD` or
`YYYY-MM-DD HH:MM:SS` in the CSV), empty cells left out. Used for testdata/cases/table-files/contacts.xlsx.
"""

import csv
import datetime
import sys
import zipfile
from xml.sax.saxutils import escape

EPOCH = datetime.datetime(1899, 12, 30)


def column_letters(index):
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def serial(text):
    """Excel's day count for a date or date-time (1900 date system)."""
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            moment = datetime.datetime.strptime(text, layout)
        except ValueError:
            continue
        delta = moment - EPOCH
        value = delta.days + delta.seconds / 86400
        return ("%.10f" % value).rstrip("0").rstrip("."), 2 if moment.time() != datetime.time() else 1
    raise SystemExit(f"not a date: {text!r}")


def main(argv):
    out, numbers, dates, sheets = None, set(), set(), []
    args = iter(argv)
    for arg in args:
        if arg == "--numbers":
            numbers |= set(next(args).split(","))
        elif arg == "--dates":
            dates |= set(next(args).split(","))
        elif out is None:
            out = arg
        else:
            name, path = arg.split("=", 1)
            with open(path, newline="", encoding="utf-8-sig") as f:
                sheets.append((name, list(csv.reader(f))))
    strings, index = [], {}

    def shared(text):
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return index[text]

    sheet_xml = []
    for _, rows in sheets:
        header = rows[0]
        body = []
        for r, row in enumerate(rows, start=1):
            cells = []
            for c, value in enumerate(row):
                if value == "":
                    continue
                ref = f"{column_letters(c)}{r}"
                column = header[c]
                if r > 1 and column in numbers:
                    cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                elif r > 1 and column in dates:
                    number, style = serial(value)
                    cells.append(f'<c r="{ref}" s="{style}"><v>{number}</v></c>')
                else:
                    cells.append(f'<c r="{ref}" t="s"><v>{shared(value)}</v></c>')
            body.append(f'<row r="{r}">{"".join(cells)}</row>')
        last = f"{column_letters(len(header) - 1)}{len(rows)}"
        sheet_xml.append(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<dimension ref="A1:{last}"/><sheetData>{"".join(body)}</sheetData></worksheet>'
        )

    main_ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(len(sheets))
        )
        + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{main_ns}" xmlns:r="{rel_ns}"><sheets>'
        + "".join(f'<sheet name="{escape(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, (name, _) in enumerate(sheets))
        + "</sheets></workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i + 1}" Type="{rel_ns}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(sheets))
        )
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel_ns}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{len(sheets) + 2}" Type="{rel_ns}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    )
    # Cell styles: 0 general, 1 a date (built-in number format 14), 2 a date and time (22).
    styles = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{main_ns}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        "</styleSheet>"
    )
    shared_strings = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{main_ns}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
        + "</sst>"
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        # Fixed times so the workbook is byte-identical each time it is made.
        def put(name, text):
            info = zipfile.ZipInfo(name, date_time=(2019, 6, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))

        put("[Content_Types].xml", content_types)
        put("_rels/.rels", root_rels)
        put("xl/workbook.xml", workbook)
        put("xl/_rels/workbook.xml.rels", workbook_rels)
        put("xl/styles.xml", styles)
        put("xl/sharedStrings.xml", shared_strings)
        for i, xml in enumerate(sheet_xml):
            put(f"xl/worksheets/sheet{i + 1}.xml", xml)


if __name__ == "__main__":
    main(sys.argv[1:])
