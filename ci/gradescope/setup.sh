#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image, with the bundle
# unzipped in /autograder/source. It installs Python 3.11+ and netlab, from the copy in
# this bundle, into a venv of its own, and makes the unprivileged user grading runs as.
#
# Knobs (for netlab's tests and for unusual images):
#   NETLAB_VENV         /opt/netlab-venv   where netlab is installed (run_autograder looks there)
#   NETLAB_HOME         <bundle>/netlab    the netlab sources to install
#   NETLAB_BASE_PYTHON  the interpreter to make the venv with (default: python3 if 3.11+, else python3.11)
#   NETLAB_VENV_ARGS    more `python -m venv` arguments;  NETLAB_PIP_ARGS: more `pip install` arguments
#   NETLAB_SKIP_APT=1   install no system packages;   NETLAB_GRADER_USER="" : make no user
set -euo pipefail

bundle="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
netlab_home="${NETLAB_HOME:-$bundle/netlab}"
venv="${NETLAB_VENV:-/opt/netlab-venv}"
grader_user="${NETLAB_GRADER_USER-netlab-grader}"

new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

if [ "${NETLAB_SKIP_APT:-0}" != 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # procps: pkill, for run_autograder's last sweep; the image's python3 is left as it is,
  # since Gradescope's own harness runs on it: netlab gets a venv instead.
  apt-get install -y -qq python3 python3-venv procps
  if ! new_enough python3 && [ -z "${NETLAB_BASE_PYTHON-}" ]; then
    # Ubuntu 22.04's python3 is 3.10; its universe has 3.11. Newer base images need none of this.
    apt-get install -y -qq python3.11 python3.11-venv
  fi
fi

base="${NETLAB_BASE_PYTHON-}"
if [ -z "$base" ]; then
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null && new_enough "$candidate"; then
      base="$candidate"
      break
    fi
  done
fi
if [ -z "$base" ] || ! new_enough "$base"; then
  echo "netlab needs Python 3.11 or newer: choose Gradescope's Ubuntu 22.04 (or newer) base image." >&2
  exit 1
fi

# shellcheck disable=SC2086  # the *_ARGS knobs are lists of arguments
"$base" -m venv ${NETLAB_VENV_ARGS-} "$venv"
# Editable, on purpose: the graders read fixtures/www beside their package, which a
# regular install would leave behind.
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install --quiet --no-cache-dir ${NETLAB_PIP_ARGS-} -e "$netlab_home"
# Compiled now, as root: grading runs as a user who may not write beside the sources.
"$venv/bin/python" -m compileall -q "$netlab_home/graders" >/dev/null
chmod -R a+rX "$netlab_home" "$venv"
chmod +x "$bundle/run_autograder"

if [ -n "$grader_user" ] && [ "$(id -u)" = 0 ] && ! id -u "$grader_user" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$grader_user"
fi

# The packages a bundled course profile says submissions import (`requirements`), in the same venv.
if [ -f "$bundle/course" ]; then
  course="$(head -n 1 "$bundle/course")"
  if [ -f "$bundle/$course" ]; then course="$bundle/$course"; fi
  mapfile -t requirements < <("$venv/bin/python" -c 'import sys; from graders.harness import course; print("\n".join(course.load(sys.argv[1]).requirements()))' "$course")
  if [ "${#requirements[@]}" -gt 0 ] && [ -n "${requirements[0]}" ]; then
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install --quiet --no-cache-dir ${NETLAB_PIP_ARGS-} "${requirements[@]}"
  fi
fi
# A broken install, or a course profile that names what does not exist, fails the image build,
# where the instructor sees it, rather than every submission.
course_args=()
if [ -f "$bundle/course" ]; then
  course="$(head -n 1 "$bundle/course")"
  if [ -f "$bundle/$course" ]; then course="$bundle/$course"; fi
  course_args=(--course "$course")
fi
(cd "$(mktemp -d)" && "$venv/bin/python" -m pytest "$netlab_home/graders" -p no:cacheprovider --collect-only -q --submission . \
  ${course_args[@]+"${course_args[@]}"} >/dev/null)
echo "netlab installed in $venv with $("$venv/bin/python" --version)"
