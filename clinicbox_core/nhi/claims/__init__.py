"""Monthly claims XML (門診 t1=10, 藥局 t1=30; spec 1040409, from 104.03.01). Pure: no I/O.

Modules: model / model_pharmacy (typed files; each field is its spec row, fields.py),
formats (structure, code lists, 總表 groups), totals (point arithmetic), build, xml_writer,
xml_parser, rules_* + validate (findings.py holds the rule catalogue), compare, demo.
See docs/nhi-claims.md.
"""
