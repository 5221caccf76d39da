#!/usr/bin/env bash
# Builds the public copy of netlab that students' workflows (student.yml) check out: what
# grading needs, and nothing that gives a lab away. Push DEST as its own repository (or
# branch), then point student.yml's NETLAB_REPOSITORY and NETLAB_REF at it.
#
#   kept:    pyproject.toml README.md LABS.md graders/ fixtures/www/ student_template/ ci/
#   left:    reference/ and fixtures/ but www/ (solutions, and known-bad programs that are
#            solutions with one mistake), tests/ and scripts/ (they need reference/), .github/
#
# usage: ci/github/make_public_copy.sh DEST   (DEST must not exist yet)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ $# -ne 1 ]; then
  echo "usage: $0 DEST" >&2
  exit 2
fi
dest="$1"
if [ -e "$dest" ]; then
  echo "$dest exists: give a new directory" >&2
  exit 2
fi
mkdir -p "$dest/fixtures"
cp "$repo/pyproject.toml" "$repo/README.md" "$repo/LABS.md" "$dest/"
for dir in graders student_template ci; do
  cp -R "$repo/$dir" "$dest/$dir"
done
cp -R "$repo/fixtures/www" "$dest/fixtures/www"
find "$dest" \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +
echo "$dest: the public copy (no reference/, no known-bad fixtures, no tests)"
