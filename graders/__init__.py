"""netlab: graders for the socket programming labs of Kurose & Ross.

At the top, what students read: one ``test_<lab>.py`` per lab, a check per LABS.md rule,
and the fixtures they share (``conftest.py``). Beneath, the machinery, each layer using
only those below it:

- ``commands``: the instructors' netlab rubric, compare, batch, and what they write;
- ``reports``: the pytest plugin, points, the score summary, results.json, the rubric;
- ``harness``: finding a submission's programs, starting them as a course says, killing them;
- ``peers``: the graders' fake servers and clients, and readers of what programs print;
- ``network``: loopback ports and network namespaces;
- ``vocabulary``: a check and its points, its failure, and the wire it shows.
"""

from pathlib import Path

GRADERS = Path(__file__).resolve().parent  # the lab checks students run: pytest graders/
REPO = GRADERS.parent  # the netlab checkout: LABS.md, reference/, fixtures/
