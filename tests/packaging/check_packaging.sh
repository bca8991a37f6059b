#!/usr/bin/env bash
# The packaging contract: the systemd unit verifies and is hardened, `cmake --install` puts files
# where a Debian administrator expects them, and `cpack -G DEB` builds a package holding them.
# Usage: check_packaging.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

unit=$src/config/corral.service
# 1. systemd-analyze verify, with ExecStart pointing at the binary just built; any complaint fails.
sed -e "s|/usr/bin/corral|$build/corral|g" "$unit" > "$work/corral.service"
out=$(systemd-analyze verify "$work/corral.service" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify complained: $out"

# 2. What the unit must say.
want() { grep -Eq "^$1\$" "$unit" || fail "corral.service lacks $1"; }
want 'Type=(exec|notify)'
want 'ExecReload=/bin/kill -HUP \$MAINPID'
want 'User=corral'
want 'NoNewPrivileges=yes'
want 'ProtectSystem=strict'
want 'PrivateTmp=yes'
want 'StateDirectory=corral'
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\?$/\1/p' "$unit")
drain=$(sed -n 's/^  drain_timeout: *\([0-9]*\)s$/\1/p' "$src/config/corral.yaml")
[ -n "$stop" ] && [ -n "$drain" ] || fail "TimeoutStopSec or drain_timeout not found"
[ "$stop" -gt "$drain" ] || fail "TimeoutStopSec=${stop}s is not above drain_timeout ${drain}s"

# 3. cmake --install (the build is configured with CMAKE_INSTALL_PREFIX=/usr, as the package is).
mkdir -p "$work/root"
DESTDIR="$work/root" cmake --install "$build" >/dev/null || fail "cmake --install failed"
for f in usr/bin/corral usr/bin/corral-mock etc/corral/corral.yaml usr/lib/systemd/system/corral.service \
         usr/share/doc/corral/README.md; do
  [ -e "$work/root/$f" ] || fail "cmake --install did not install /$f"
done
grep -q '^ExecStart=/usr/bin/corral --config /etc/corral/corral.yaml$' "$work/root/usr/lib/systemd/system/corral.service" \
  || fail "the installed unit does not start /usr/bin/corral with /etc/corral/corral.yaml"
grep -q '^  path: /var/lib/corral/state.db$' "$work/root/etc/corral/corral.yaml" \
  || fail "the installed configuration does not keep its state in /var/lib/corral (the unit's StateDirectory)"
"$build/corral" --check-config --config "$work/root/etc/corral/corral.yaml" >/dev/null \
  || fail "the installed configuration does not load"

# 4. cpack -G DEB from the build under test.
(cd "$build" && cpack -G DEB -B "$work/deb" >/dev/null) || fail "cpack -G DEB failed"
deb=$(ls "$work"/deb/*.deb | head -n1)
[ -n "$deb" ] || fail "no .deb built"
listing=$(dpkg-deb -c "$deb")
for f in ./usr/bin/corral ./usr/bin/corral-mock ./etc/corral/corral.yaml ./usr/lib/systemd/system/corral.service; do
  grep -q " $f\$" <<<"$listing" || fail "the package lacks $f"
done
dpkg-deb -I "$deb" conffiles | grep -qx '/etc/corral/corral.yaml' || fail "corral.yaml is not a conffile"
dpkg-deb -I "$deb" postinst | grep -q 'adduser --system' || fail "postinst does not create the service user"
echo "packaging: ok ($(basename "$deb"))"
