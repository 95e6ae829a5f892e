"""Adapters to the NHI online services, one module per service, each configured by a base URL.

The cloud plane talks to the NHI only through these classes. In development, tests and the demo
the URLs point at our sandbox (nhi_sandbox); in production they point at the real hosts, which
is why each service has its own URL in :class:`~cloud_plane.nhi.settings.NhiSettings`.
"""
