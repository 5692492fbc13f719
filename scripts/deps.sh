#!/bin/bash
# Installs the Debian 12 packages that berth's build and tests need.
#
# Idempotent and quick: each package is checked with dpkg-query, and apt runs only for the ones
# that are missing. As root it installs them; as another user it names what is missing and the
# command to run, and fails. When nothing is missing it exits 0 quietly, whoever runs it.
set -euo pipefail

packages=(
	# build
	build-essential pkg-config
	libseccomp-dev libcap-ng-dev libselinux1-dev libevent-dev libmsgpack-dev libgpgme-dev
	libcurl4-openssl-dev libssl-dev libjansson-dev libarchive-dev libsqlite3-dev libyaml-dev
	# NaCl secretbox for cosign private keys (push --sign-by-sigstore-private-key), broker only
	libsodium-dev
	# unit tests and fuzzing (clang's libFuzzer and sanitizer runtimes)
	libcmocka-dev clang libclang-rt-14-dev
	# integration tests: runner, rootless ID mapping, OCI runtimes, inspection tools
	bats uidmap crun runc sqlite3 openssl passwd procps util-linux iproute2 jq
	# registry client tests: a real registry (Debian's distribution 2.8), skopeo to push test
	# images into it, htpasswd -B for its bcrypt password file, python3 for the redirect and
	# header-recording stand-in servers, curl to wait for a registry to answer
	docker-registry skopeo apache2-utils python3 curl
	# sigstore test keys and signatures (Debian has no cosign; its skopeo cannot sign for
	# sigstore): /usr/bin/python3 with these, never the python3 first on PATH
	python3-cryptography python3-nacl
	# demo (busybox-static is the demo image's only binary) and benchmark (GNU time)
	busybox-static time bc
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; as root run: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}"
