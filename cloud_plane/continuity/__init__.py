"""Continuity mode, the cloud's half: the working set each box keeps (:mod:`.working_set`,
sent by :mod:`.publisher`), and the offline work boxes send back (:mod:`.apply`, reviewed on
:mod:`cloud_plane.web.views.continuity`). The box's half is :mod:`edge_agent.continuity`;
both use the same tables and services, so no clinical rule exists twice. See docs/continuity.md.
"""
