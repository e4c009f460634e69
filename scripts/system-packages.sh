#!/usr/bin/env bash
# Install the Debian packages dondoc needs for reading scanned notices (OCR):
#   tesseract-ocr, tesseract-ocr-vie (Vietnamese model), poppler-utils (pdftoppm, pdfinfo),
#   fonts-dejavu-core (the font the test scans are rendered with),
#   chromium (headless: the dashboard's browser tests; skipped without it).
# Idempotent and quiet: does nothing when everything is installed. Needs root to install;
# otherwise prints one line saying what to install and exits 0 (OCR and the browser tests are optional).
set -u

PACKAGES=(tesseract-ocr tesseract-ocr-vie poppler-utils fonts-dejavu-core chromium)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-packages: no apt-get here; install yourself: ${missing[*]}"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "system-packages: not root; run: sudo apt-get install -y ${missing[*]}"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >/dev/null 2>&1; then
    echo "system-packages: apt-get update failed; could not install: ${missing[*]}"
    exit 0
fi
if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    # One package that cannot be had (e.g. no chromium for this architecture) must not keep the others out.
    for pkg in "${missing[@]}"; do
        apt-get install -y -qq "$pkg" >/dev/null 2>&1 || echo "system-packages: apt-get install failed for: $pkg"
    done
fi
exit 0
