# Shared by the build, run and test scripts: where builds go and how tools are found.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Builds live outside the checkout so that a fresh clone (as CI makes) still builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sharepack/target}"
export PATH="$HOME/.cargo/bin:$PATH"
SITE_DIR="$CARGO_TARGET_DIR/site"
log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
