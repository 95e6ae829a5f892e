"""Printable documents (drug bag, receipt, registration slip) as a device-neutral block model.

The cloud (and, in continuity mode, the box) builds a :class:`PrintDocument`; the box's printer
service renders it to ESC/POS for whatever printer is attached.
"""

from clinicbox_core.printdoc.model import Align, Blank, Cut, PrintDocument, QrCode, Rule, TextLine

__all__ = ["Align", "Blank", "Cut", "PrintDocument", "QrCode", "Rule", "TextLine"]
