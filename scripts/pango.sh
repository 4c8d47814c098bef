#!/usr/bin/env bash
# WeasyPrint (the impact report's PDF) lays text out with the system's Pango: install it
# when missing (Debian package names; already there on most desktop and server images).
set -euo pipefail
if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; then
  echo "Installation de Pango (apt), pour les rapports PDF…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }
fi
