#!/usr/bin/env bash
# Installs the system packages the local runtime and the browser tests need,
# only when they are missing: Java 17+ for DynamoDB Local, Chromium for e2e tests.
set -euo pipefail

need=()
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  need+=(openjdk-17-jre-headless)
fi
if [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
# Japanese glyphs, so demo pages and screenshots show text rather than empty boxes.
if ! fc-list 2>/dev/null | grep -qi "ipagothic\|noto sans cjk"; then
  need+=(fonts-ipafont-gothic fontconfig)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "installing system packages: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
