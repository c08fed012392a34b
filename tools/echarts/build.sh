#!/usr/bin/env bash
# Rebuild shanzhi/static/vendor/echarts/echarts.custom.min.js from the npm packages (never at run time):
#   tools/echarts/build.sh
# Installs the pinned echarts and esbuild into a temporary folder, bundles entry.js (only the chart
# types and components the pages use) as one minified script, and copies the licences beside it.
set -euo pipefail
ECHARTS=5.6.0
ESBUILD=0.24.2
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../shanzhi/static/vendor/echarts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "echarts@$ECHARTS" "esbuild@$ESBUILD"
cp "$here/entry.js" .
./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --target=es2017 --legal-comments=none \
  --banner:js="/*! ECharts $ECHARTS custom build (line, bar, grid, tooltip, SVG renderer); Apache-2.0, see LICENSE and NOTICE. zrender: BSD-3-Clause, see LICENSE-zrender. tslib: 0BSD. */" \
  --outfile="$out/echarts.custom.min.js"
cp node_modules/echarts/LICENSE "$out/LICENSE"
cp node_modules/echarts/NOTICE "$out/NOTICE"
cp node_modules/zrender/LICENSE "$out/LICENSE-zrender"
ls -l "$out"
