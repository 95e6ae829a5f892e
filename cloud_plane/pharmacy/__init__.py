"""The pharmacy (特約藥局) and a clinic's own dispensary: receiving prescriptions (slip QR code,
NHI card, typed), dispensing with 藥事服務費 and copay, 慢箋 refills and their reminders, stock by
lot (FEFO), and the pharmacy's claims cases (t1=30). Services take an ``Actor`` and are audited
like :mod:`cloud_plane.services`.
"""
