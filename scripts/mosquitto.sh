# Source me: installs Mosquitto (apt) when missing. The broker itself is started by
# whoever needs it (tests/connectivity/conftest.py, bench/mqtt.py) on a loopback port.
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  echo "Installation de Mosquitto (apt)…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
fi
# The packaged service is not needed (and would hold port 1883).
systemctl disable --now mosquitto >/dev/null 2>&1 || true
