"""Bench: a clinic-month of 3,000 visits → build, serialize (Big5 XML), validate.

Prints the time of each stage and, as a baseline in the same run, the time raw ``xml.etree``
takes just to build and serialize a tree with the same number of elements (no rules, no
models). Run: ``.venv/bin/python -m bench.claims_build [--visits N]``.
"""

from __future__ import annotations

import argparse
import time
import xml.etree.ElementTree as ET

from clinicbox_core.nhi.claims.build import build_claims
from clinicbox_core.nhi.claims.demo import demo_clinic_month
from clinicbox_core.nhi.claims.validate import validate
from clinicbox_core.nhi.claims.xml_parser import parse_claims
from clinicbox_core.nhi.claims.xml_writer import to_xml


def _raw_etree(n_cases: int, per_case: int) -> float:
    start = time.perf_counter()
    root = ET.Element("outpatient")
    for _ in range(n_cases):
        body = ET.SubElement(ET.SubElement(root, "ddata"), "dbody")
        for k in range(per_case):
            ET.SubElement(body, f"d{k % 50}").text = "12345"
    ET.tostring(root, encoding="unicode").encode("cp950")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=3000)
    args = parser.parse_args()
    header, cases = demo_clinic_month(args.visits, seed=1)
    t0 = time.perf_counter()
    model = build_claims(header, cases)
    t1 = time.perf_counter()
    data = to_xml(model)
    t2 = time.perf_counter()
    findings = validate(data)
    t3 = time.perf_counter()
    assert parse_claims(data) == model
    elements = data.count(b"</")
    baseline = _raw_etree(len(model.cases), elements // max(len(model.cases), 1))
    errors = sum(f.severity == "error" for f in findings)
    print(
        f"claims month: {len(model.cases)} cases, {elements} elements,"
        f" {len(data) / 1e6:.2f} MB Big5"
    )
    print(f"  build      {1000 * (t1 - t0):7.1f} ms")
    print(f"  serialize  {1000 * (t2 - t1):7.1f} ms")
    print(f"  validate   {1000 * (t3 - t2):7.1f} ms  ({errors} errors, {len(findings)} findings)")
    print(
        f"  total      {1000 * (t3 - t0):7.1f} ms"
        f"  (build + validate {1000 * (t1 - t0 + t3 - t2):.1f} ms)"
    )
    print(
        f"  baseline: raw xml.etree build+serialize of {elements} elements"
        f" {1000 * baseline:7.1f} ms"
    )


if __name__ == "__main__":
    main()
