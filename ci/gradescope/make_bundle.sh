#!/usr/bin/env bash
# Builds the zip to upload as a Gradescope programming assignment's autograder:
#   setup.sh, run_autograder, finish.py   at the root of the zip, where Gradescope looks
#   labs                                  the labs this assignment grades (only with --lab)
#   course, course.d/                     the course profile it grades by (only with --course): the
#                                         file's name, or a bundled profile's name (textbook)
#   netlab/                               pyproject.toml, README.md, LABS.md, graders/, fixtures/www/,
#                                         student_template/ (a program still its stub: not attempted)
# and nothing else: not reference/ (students' programs run in that image and could read
# the solutions), nor tests/ or fixtures/bad/, which grading never reads.
#
# usage: ci/gradescope/make_bundle.sh [--lab NAME]... [--course PROFILE] [--out FILE]   (default: ./autograder.zip)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="autograder.zip"
labs=()
profile=""
while [ $# -gt 0 ]; do
  case "$1" in
    --lab) labs+=("$2"); shift 2 ;;
    --course) profile="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--lab NAME]... [--course PROFILE] [--out FILE]" >&2; exit 2 ;;
  esac
done
# A wrong lab name would give every student 0 on Gradescope: refuse it here instead.
for lab in ${labs[@]+"${labs[@]}"}; do
  if ! grep -qs "^pytestmark = lab(\"$lab\")" "$repo"/graders/test_*.py; then
    echo "unknown lab '$lab'; the labs are: $(sed -n 's/^pytestmark = lab("\(.*\)")/\1/p' "$repo"/graders/test_*.py | tr '\n' ' ')" >&2
    exit 2
  fi
done
# A profile that names what does not exist would fail every submission: refuse it here, with
# netlab's own reader where this Python has netlab's dependencies (setup.sh checks it again).
if [ -n "$profile" ]; then
  if [ ! -f "$profile" ] && [ ! -f "$repo/graders/harness/courses/$profile.toml" ]; then
    echo "no course profile '$profile': neither a file nor one of: $(cd "$repo/graders/harness/courses" && ls -- *.toml | sed 's/\.toml$//' | tr '\n' ' ')" >&2
    exit 2
  fi
  # `netlab rubric --course` collects the graders and checks every name the profile gives.
  if ! checked="$(cd "$repo" && python3 -c 'import sys; from graders.commands.cli import main; sys.exit(main())' rubric --csv --course "$profile" 2>&1 >/dev/null)"; then
    case "$checked" in
      "netlab rubric: "*) echo "course profile '$profile': ${checked#netlab rubric: }" >&2; exit 2 ;;
      *) echo "note: could not check the profile with this python3 (${checked##*$'\n'}); setup.sh will" >&2 ;;
    esac
  fi
fi
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$here/setup.sh" "$here/run_autograder" "$here/finish.py" "$stage/"
mkdir -p "$stage/netlab/fixtures"
cp "$repo/pyproject.toml" "$repo/README.md" "$repo/LABS.md" "$stage/netlab/"  # setuptools reads README.md; LABS.md: the rules the messages cite
cp -R "$repo/graders" "$stage/netlab/graders"
cp -R "$repo/fixtures/www" "$stage/netlab/fixtures/www"
cp -R "$repo/student_template" "$stage/netlab/student_template"
find "$stage" -name __pycache__ -prune -exec rm -rf {} +
chmod 755 "$stage/setup.sh" "$stage/run_autograder"
members=(setup.sh run_autograder finish.py netlab)
if [ "${#labs[@]}" -gt 0 ]; then
  printf '%s\n' "${labs[@]}" >"$stage/labs"
  members+=(labs)
fi
if [ -f "$profile" ]; then
  mkdir "$stage/course.d"
  cp "$profile" "$stage/course.d/"
  printf 'course.d/%s\n' "$(basename "$profile")" >"$stage/course"
  members+=(course course.d)
elif [ -n "$profile" ]; then
  printf '%s\n' "$profile" >"$stage/course"
  members+=(course)
fi

# Zip the files, not a folder holding them: Gradescope wants setup.sh at the root.
rm -f "$out"
(cd "$stage" && python3 -m zipfile -c "$out" "${members[@]}")
echo "$out: upload it as the assignment's autograder (labs: ${labs[*]:-all}; course: ${profile:-LABS.md})"
