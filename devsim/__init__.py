"""Virtual hardware that is real at the OS boundary, for tests and the demo.

``devsim.nhi_card``: an NHI card that plugs into pcscd through vsmartcard's vpcd socket, so our
pyscard code talks to a real PC/SC reader. ``devsim.escpos_printer``: an ESC/POS printer listening
on TCP that stores every job and renders it to PNG and text.
"""
