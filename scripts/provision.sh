# Sourced by the check script: installs the Debian packages the tests need when they are absent
# and this is a root Debian machine (provisioning belongs here, not in a test fixture). Today:
# Chromium, for the offline /docs browser test. Without root or apt-get nothing is installed and
# the tests that need a package skip (or fail under CI=true).
need_packages=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need_packages+=(chromium)
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages for the tests: ${need_packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null \
      && apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${need_packages[@]}" >/dev/null \
      || echo "could not install ${need_packages[*]}; the tests that need them will say so" >&2
  else
    echo "not root or no apt-get: ${need_packages[*]} not installed; the tests that need them will say so"
  fi
fi
