"""I/O-free domain code shared by the edge box and the cloud plane.

Everything here is pure: NHI rules and formats (``clinicbox_core.nhi``), the MQTT message
contract (``clinicbox_core.contracts``) and the printable document model
(``clinicbox_core.printdoc``). No module in this package opens a file, a socket or a database;
a test enforces that (tests/core/test_purity.py).
"""
