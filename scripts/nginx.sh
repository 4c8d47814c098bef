# Source me: installs nginx (apt) when missing, for the test of docs/operations.md's reverse
# proxy (tests/test_operations.py starts its own nginx on loopback ports).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "Installation de nginx (apt)…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
# The packaged service is not needed (and would hold port 80).
systemctl disable --now nginx >/dev/null 2>&1 || service nginx stop >/dev/null 2>&1 || true
