"""Each NHI and printdoc module declares ``__all__`` listing exactly its public names."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

OWNED_MODULES = [
    "clinicbox_core.nhi.errors",
    "clinicbox_core.nhi.effective",
    "clinicbox_core.nhi.id_number",
    "clinicbox_core.nhi.frequency",
    "clinicbox_core.nhi.visit_codes",
    "clinicbox_core.nhi.copay",
    "clinicbox_core.nhi.consult_fee",
    "clinicbox_core.nhi.roc_date",
    "clinicbox_core.printdoc.documents",
    "clinicbox_core.printdoc.wrap",
    "clinicbox_core.prescription.payload",
    "clinicbox_core.nhi.chronic_slip",
    "clinicbox_core.nhi.tcm",
    "clinicbox_core.nhi.dental",
    "clinicbox_core.prescription.qr_codec",
]


def public_names(module_name: str) -> set[str]:
    """Names a module defines at top level (def, class, assignment) without a leading ``_``."""
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("module_name", OWNED_MODULES)
def test_all_matches_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    declared = getattr(module, "__all__", None)
    assert declared is not None, f"{module_name} has no __all__"
    assert len(declared) == len(set(declared)), "duplicate names in __all__"
    assert set(declared) == public_names(module_name)
    for name in declared:
        assert hasattr(module, name)


def test_public_names_sees_definitions() -> None:
    assert {"compute_copay", "Copay", "COPAY_RULES"} <= public_names("clinicbox_core.nhi.copay")
