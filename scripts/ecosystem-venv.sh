# shellcheck shell=bash
# Sourced by docs-lint.sh and ee-check.sh: builds (once, and again when a pin changes) the
# venv with the ecosystem tools and puts it first on PATH. Needs lib.sh sourced first.
ECO_VENV="$KU_ROOT/build/venv-ecosystem"
eco_venv() {
  local pins="$KU_ROOT/scripts/requirements-ecosystem.txt" core
  core=$(grep '^ansible-core==' "$KU_ROOT/requirements-dev.txt") || die "no ansible-core pin in requirements-dev.txt"
  if [ ! -f "$ECO_VENV/.installed" ] || [ "$pins" -nt "$ECO_VENV/.installed" ] \
      || [ "$KU_ROOT/requirements-dev.txt" -nt "$ECO_VENV/.installed" ]; then
    log "installing the ecosystem tools into $ECO_VENV"
    rm -rf "$ECO_VENV"
    if ! { python3.11 -m venv "$ECO_VENV" && "$ECO_VENV/bin/pip" install -q --upgrade pip \
        && "$ECO_VENV/bin/pip" install -q "$core" -r "$pins"; }; then
      die "could not install the tools of $pins"
    fi
    touch "$ECO_VENV/.installed"
  fi
  export PATH="$ECO_VENV/bin:$PATH"
}
