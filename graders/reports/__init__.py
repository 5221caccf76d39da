"""Points and reports: the pytest plugin, the scoreboard, the summary, the rubric, the HTML report."""
