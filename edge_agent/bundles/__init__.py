"""Signed bundles on the box: the SQLite store (current + previous version per kind), the HTTPS
fetch, and the manager that verifies and applies an offered version."""

from edge_agent.bundles.fetch import BundleFetchFailed, fetch_bundle
from edge_agent.bundles.manager import BundleManager
from edge_agent.bundles.store import BundleStore, StoredVersion

__all__ = ["BundleFetchFailed", "BundleManager", "BundleStore", "StoredVersion", "fetch_bundle"]
