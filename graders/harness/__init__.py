"""Running a submission's programs: finding them, starting them as the course says, bounding and killing them."""
