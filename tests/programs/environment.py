# Prints, as JSON, what it sees of its surroundings: working directory and its contents, and some environment.
import json
import os

print(json.dumps({
    "cwd": os.getcwd(),
    "files": sorted(os.listdir(".")),
    "PYTHONUNBUFFERED": os.environ.get("PYTHONUNBUFFERED"),
    "pytest_vars": sorted(k for k in os.environ if k.startswith("PYTEST_")),
}))
open("left_behind.txt", "w").write("a file written in the working directory\n")
