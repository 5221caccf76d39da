"""netlab: graders for the socket programming labs of Kurose & Ross.

The lab modules (``test_<lab>.py``) say what is checked; ``programs`` runs a
submission's programs; ``fake_*`` are the peers they talk to; ``scoring``
adds up points; ``plugin`` is the pytest glue.
"""
