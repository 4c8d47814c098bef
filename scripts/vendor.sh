#!/usr/bin/env bash
# Installs the front-end libraries from the npm registry (package-lock.json) and copies the
# files Beffroi serves into src/beffroi/web/static/vendor/ (not versioned).
set -euo pipefail
cd "$(dirname "$0")/.."
# No install scripts: nothing served needs one (and swagger-ui-dist's @scarf/scarf would
# report the installation to a third party).
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
out=src/beffroi/web/static/vendor
rm -rf "$out"
mkdir -p "$out/leaflet" "$out/markercluster" "$out/uplot" "$out/swagger-ui"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/leaflet/"
cp -r node_modules/leaflet/dist/images "$out/leaflet/"
cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
   node_modules/leaflet.markercluster/dist/MarkerCluster.css \
   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css "$out/markercluster/"
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css "$out/uplot/"
cp node_modules/leaflet/LICENSE "$out/leaflet/LICENSE" 2>/dev/null || true
cp node_modules/uplot/LICENSE "$out/uplot/LICENSE" 2>/dev/null || true
# The API documentation page (/api/v1/docs): Swagger UI, served by Beffroi (no CDN).
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
   node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE "$out/swagger-ui/"
