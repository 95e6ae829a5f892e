"""The NHI sandbox: our stand-in for the NHI's online services, with persistent state.

The real NHI hosts (medvpndc, the IC upload and claims platforms, MediCloud, the virtual-card
service) are unreachable from development and CI. This aiohttp service implements the same
interfaces as documented in shared/reference/nhi.md, keeps its state in SQLite, and checks every
request for real (signatures, card state, the shared validators), so the cloud plane's adapters
(cloud_plane/nhi/) can be tested end to end and pointed at the real hosts later. See
docs/nhi-sandbox.md.
"""
