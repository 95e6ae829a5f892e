"""The front desk's day beyond registration: calling (叫號) and the waiting-room board, 退掛 and
改掛 with their NHI consequences, and the daily close-out (日結).

Like :mod:`cloud_plane.services`, every function takes an open connection (the caller owns the
transaction) and an :class:`~cloud_plane.services.actor.Actor`, except the board, which serves
the public waiting-room screen by clinic slug and returns masked names only.
"""
