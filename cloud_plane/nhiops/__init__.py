"""The NHI operations a clinic runs, on top of the pure rules (clinicbox_core.nhi), the record
keeping (cloud_plane.icupload) and the adapters (cloud_plane.nhi):

* :mod:`.sequence`: at card check-in, ask the card service for the 就醫序號 (or fall back to an
  異常就醫代碼 when it cannot be reached) and keep the card-write data for the IC upload;
* :mod:`.ic_run`: a day's IC upload: queue, build, validate, send, record each verdict;
* :mod:`.claims_run`: a month's claims file: assemble from the visits, validate, send, record;
* :mod:`.scheduler`: the daily IC upload running by itself in every cloud process (work derived
  from the database, one runner per clinic through a lease);
* :mod:`.cli`: ``clinicbox nhi ic-upload`` / ``clinicbox nhi claims``.

Configured by :class:`.settings.NhiCloudSettings` (``[nhi]`` in cloud.toml).
"""
