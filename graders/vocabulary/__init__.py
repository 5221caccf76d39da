"""What every part of the graders speaks: a check and its points, a check's failure, and the wire it shows."""
