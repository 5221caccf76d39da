"""The instructors' commands: netlab rubric, compare, batch, merge-csv, and the gradebooks and pages they write."""
