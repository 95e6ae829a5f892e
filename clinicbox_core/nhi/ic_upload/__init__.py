"""健保卡資料上傳 (IC-card data upload): formats 1.0 and 2.0, checks, status and the 24-hour rule.

Pure: no I/O and no clock; every time-dependent function takes ``now`` (or the upload time) as an
argument. Modules: :mod:`.fields` (field tables), :mod:`.model` (typed records), :mod:`.build`
(visit → record), :mod:`.xml_io` (Big5 writer and parser), :mod:`.validate` / :mod:`.check`
(NHI checks with NHI error codes), :mod:`.status` (record state machine), :mod:`.deadline`
(24-hour rule), :mod:`.rate` (upload-rate indicator), :mod:`.icd_compress` (card ICD codes).
"""
