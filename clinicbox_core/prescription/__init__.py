"""The prescription a clinic hands to a pharmacy (交付調劑): the payload model and the text
format its QR code carries, shared by the prescribing clinic (slip printing) and the pharmacy
(slip scanning). Pure: no I/O."""
