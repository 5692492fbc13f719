#!/usr/bin/env bats
# berth-fetch, the registry client, driven over IPC by tests/tools/fetch-call exactly as the
# broker drives it (fork + exec by fd, clean environment, uid 65534, the real sandbox), against
# real registries (Debian's docker-registry: TLS, htpasswd Basic auth, the Docker token flow
# with a token server) and small python3 stand-ins for what a registry may do but ours does
# not: redirects to other hosts, flaky answers, oversized streams, odd challenges, upload
# sessions that point elsewhere. Uploads (MSG_F_PUT) are pushed with fetch-call --put-blob and
# --put-manifest and checked by downloading them again, with the worker and with skopeo.
#
# Every test also checks that the worker exited 0 (never a SIGSYS: a missing seccomp entry
# shows up here as "died: killed by signal 31").

bats_require_minimum_version 1.5.0
load helpers
load registry

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json

setup_file() {
	export FETCH_CALL=${FETCH_CALL:-$BERTH_TOP/tests/tools/fetch-call}
	if [ ! -x "$FETCH_CALL" ]; then
		echo "missing $FETCH_CALL: build it with 'make tools' (O= for other trees)" >&2
		return 1
	fi
	registry_start plain
	registry_start basic --auth
	registry_start token --token
	export IMG=$BERTH_IT_TMP/fetch-image
	mkdir -p "$BERTH_IT_TMP/fetch-layer2/etc"
	echo "berth fetch test" >"$BERTH_IT_TMP/fetch-layer2/etc/motd"
	make_test_image "$IMG" "$BERTH_IT_TMP/fetch-layer2"
	push_test_image "$IMG" "$REGISTRY_PLAIN_ADDR/library/busybox:latest"
	push_test_image "$IMG" "$REGISTRY_BASIC_ADDR/busybox:latest"
	push_test_image "$IMG" "$REGISTRY_TOKEN_ADDR/busybox:latest"
	# What the layout says, to compare with what comes back.
	export MANIFEST_DIGEST LAYER0 LAYER1 CONFIG_DIGEST
	MANIFEST_DIGEST=$(jq -r '.manifests[0].digest' "$IMG/index.json")
	local m=$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}
	CONFIG_DIGEST=$(jq -r '.config.digest' "$m")
	LAYER0=$(jq -r '.layers[0].digest' "$m")
	LAYER1=$(jq -r '.layers[1].digest' "$m")
}

teardown_file() {
	registry_stop plain
	registry_stop basic
	registry_stop token
	stop_standins
}

setup() {
	OUT=$BATS_TEST_TMPDIR/out
}

# fetch ARGS...: fetch-call with the test's output file; sets $status and $output.
fetch() {
	run "$FETCH_CALL" --out "$OUT" "$@"
	echo "$output"
}

# The worker exited by itself, with status 0, after the replies (never killed by its filter).
assert_worker_ok() {
	assert_line_re "$output" '^worker-exit=0$' "fetch-call output"
}

reply_field() {
	sed -n "s/^status=.* $1=\([^ ]*\).*$/\1/p; s/^status=\([0-9]*\) .*$/\1/p" <<<"$output" |
		head -n 1
}

field() {
	grep -o "$1=[^ ]*" <<<"$output" | head -n 1 | cut -d= -f2-
}

sha_of() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# ---------------------------------------------------------------- python stand-ins

# A stand-in server (python3, TLS with the test CA's server certificate unless MODE says
# plain), one MODE per process. Each request is logged to LOG as one JSON line (method, path,
# headers). BLOB is what it serves; TARGET is where "redirect*" modes send a client.
STANDIN='
import hashlib, http.server, json, os, socket, ssl, sys, threading, urllib.parse
mode, port_file, log, blob_file, target, cert, key = sys.argv[1:8]
blob = open(blob_file, "rb").read()
lock = threading.Lock()
count = [0]
tokens = []
used = set()
sessions = {}
puts = [0]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body=b"", headers=(), length=True):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def err(self, code, c, m, headers=()):
        body = json.dumps({"errors": [{"code": c, "message": m}]}).encode()
        self.send(code, body, [("Content-Type", "application/json")] + list(headers))

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # Upload sessions, in memory, as a registry keeps them: POST opens one (a relative Location with a
    # query, so the final PUT must append "&digest="), each PATCH appends (Location + Range),
    # PUT ?digest= appends and checks the digest. "upload-flaky" fails the first PUT with a
    # 503; "upload-elsewhere" asks for Basic credentials and puts the session on TARGET,
    # another origin.
    def upload(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        data = self.body()
        if mode == "upload-elsewhere" and self.headers.get("Authorization") is None:
            return self.err(401, "UNAUTHORIZED", "authentication required",
                            [("WWW-Authenticate", "Basic realm=\"stand-in\"")])
        if self.command == "HEAD":
            return self.err(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if self.command == "POST" and u.path.endswith("/blobs/uploads/"):
            if mode == "upload-elsewhere":
                return self.send(202, b"", [("Location", target + "/upload/s1")])
            with lock:
                sid = "/upload/s%d" % (len(sessions) + 1)
                sessions[sid] = bytearray()
            return self.send(202, b"", [("Location", sid + "?_state=abc%3D")])
        with lock:
            buf = sessions.get(u.path)
        if buf is None:
            return self.err(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        if self.command == "PATCH":
            buf += data
            nxt = u.path + "n"
            with lock:
                sessions[nxt] = buf
            return self.send(202, b"", [("Location", nxt), ("Range", "0-%d" % (len(buf) - 1))])
        if self.command == "PUT":
            with lock:
                puts[0] += 1
                first = puts[0] == 1
            if mode == "upload-flaky" and first:
                return self.err(503, "UNAVAILABLE", "try again")
            buf += data
            dig = "sha256:" + hashlib.sha256(buf).hexdigest()
            if q.get("digest", [""])[0] != dig:
                return self.err(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            return self.send(201, b"", [("Docker-Content-Digest", dig)])
        return self.err(405, "UNSUPPORTED", "no")

    def handle_any(self):
        with lock:
            count[0] += 1
            n = count[0]
            with open(log, "a") as f:
                f.write(json.dumps({"n": n, "method": self.command, "path": self.path,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        auth = self.headers.get("Authorization")
        basic = [("WWW-Authenticate", "Basic realm=\"stand-in\"")]
        if mode.startswith("upload"):
            return self.upload()
        if mode == "redirect":
            if auth is None:
                return self.err(401, "UNAUTHORIZED", "authentication required", basic)
            return self.send(307, b"", [("Location", target + "?X-Amz-Signature=not-a-secret")])
        if mode == "redirect-same":
            if self.path.startswith("/v2/"):
                if auth is None:
                    return self.err(401, "UNAUTHORIZED", "authentication required", basic)
                return self.send(307, b"", [("Location", "/final?sig=x")])
            if auth is None:
                return self.err(403, "DENIED", "the same origin lost the credential")
            return self.send(200, blob, [("Content-Type", "application/octet-stream")])
        if mode == "target":
            return self.send(200, blob, [("Content-Type", "application/octet-stream")])
        if mode == "flaky":
            if n == 1:
                return self.err(503, "UNAVAILABLE", "try again")
            if n == 2:
                # Announce all, send half, hang up: a partial body to start over from.
                self.send_response(200)
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                self.wfile.write(blob[: len(blob) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            return self.send(200, blob, [("Content-Type", "application/octet-stream")])
        if mode == "always-429":
            return self.err(429, "TOOMANYREQUESTS", "slow down")
        if mode == "always-400":
            return self.err(400, "BAD_REQUEST", "no")
        if mode == "stream":
            # No Content-Length: the limit can only be enforced while writing.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(64):
                    self.wfile.write(blob)
            except OSError:
                pass
            return
        if mode == "bad-challenge":
            return self.err(401, "UNAUTHORIZED", "x", [("WWW-Authenticate", "Bearer realm=\"https://unterminated")])
        if mode == "http-realm":
            return self.err(401, "UNAUTHORIZED", "x",
                            [("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:1/token\",service=\"x\"")])
        if mode == "negotiate":
            return self.err(401, "UNAUTHORIZED", "x", [("WWW-Authenticate", "Negotiate")])
        if mode.startswith("bearer"):
            # Registry and token server in one: /token issues tok0, tok1, ... (as
            # "access_token"); the registry takes only the newest token, and each only once.
            realm = "https://127.0.0.1:%d/token" % self.server.server_address[1]
            if self.path.startswith("/token"):
                if mode == "bearer-notjson":
                    return self.send(200, b"<html>", [("Content-Type", "text/html")])
                if mode == "bearer-number":
                    return self.send(200, b"{\"token\": 5}", [("Content-Type", "application/json")])
                if mode == "bearer-ctl":
                    return self.send(200, json.dumps({"token": "a\r\nX-Injected: 1"}).encode(),
                                     [("Content-Type", "application/json")])
                with lock:
                    tokens.append("tok%d" % len(tokens))
                    t = tokens[-1]
                return self.send(200, json.dumps({"access_token": t, "expires_in": 3600}).encode(),
                                 [("Content-Type", "application/json")])
            ch = [("WWW-Authenticate",
                   "Bearer realm=\"%s\",service=\"standin\",scope=\"repository:x/y:pull\"" % realm)]
            with lock:
                ok = auth is not None and tokens and auth == "Bearer " + tokens[-1] and auth not in used
                if ok:
                    used.add(auth)
            if not ok:
                return self.err(401, "UNAUTHORIZED", "token required", ch)
            return self.send(200, blob, [("Content-Type", "application/octet-stream")])
        if mode == "redirect-loop":
            return self.send(302, b"", [("Location", "/v2/again")])
        self.send(500)

    do_GET = handle_any
    do_HEAD = handle_any
    do_POST = handle_any
    do_PUT = handle_any
    do_PATCH = handle_any

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
if cert != "plain":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
'

STANDIN_PIDS=$BERTH_IT_TMP/fetch-standin.pids

# standin NAME MODE [TARGET] [plain | wrong-name]: starts a stand-in (TLS with the registries'
# certificate; plain HTTP; or TLS with a certificate for another name); exports
# STANDIN_<NAME>_ADDR and STANDIN_<NAME>_LOG.
standin() {
	local name=$1 mode=$2 target=${3:--} tls=${4:-} d pki cert key
	pki=$(registry_pki)
	d=$(mktemp -d "$BERTH_IT_TMP/standin-$name.XXXXXX")
	cert=$pki/server.crt key=$pki/server.key
	case $tls in
	plain) cert=plain key=plain ;;
	wrong-name) cert=$pki/wrong-name.crt key=$pki/wrong-name.key ;;
	esac
	: >"$d/log"
	"$REGISTRY_PYTHON" -c "$STANDIN" "$mode" "$d/port" "$d/log" "$BLOB" "$target" "$cert" \
		"$key" </dev/null >"$d/stderr" 2>&1 3>&- &
	echo $! >>"$STANDIN_PIDS"
	wait_for_file "$d/port" 10 || {
		cat "$d/stderr" >&2
		return 1
	}
	export "STANDIN_${name}_ADDR=127.0.0.1:$(cat "$d/port")" "STANDIN_${name}_LOG=$d/log"
}

stop_standins() {
	local pid
	[ -f "$STANDIN_PIDS" ] || return 0
	while read -r pid; do
		kill "$pid" 2>/dev/null || true
	done <"$STANDIN_PIDS"
	rm -f "$STANDIN_PIDS"
}

# A blob for the stand-ins: 256 KiB of random bytes.
make_blob() {
	export BLOB=$BATS_TEST_TMPDIR/blob
	head -c 262144 /dev/urandom >"$BLOB"
	BLOB_DIGEST=$(sha_of "$BLOB")
}

# ---------------------------------------------------------------- manifests and blobs

@test "manifest GET with the OCI Accept types: the pushed manifest, its digest in the header" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	assert_eq "$(field status)" 200 "HTTP status"
	assert_eq "$(field media_type)" "$OCI_MANIFEST" "media type"
	assert_eq "$(field digest)" "$MANIFEST_DIGEST" "Docker-Content-Digest"
	assert_eq "$(sha_of "$OUT")" "$MANIFEST_DIGEST" "sha256 of the body"
	assert_eq "$(field size)" "$(stat -c %s "$OUT")" "size"
	cmp "$OUT" "$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}"
}

@test "manifest GET by digest" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest "$MANIFEST_DIGEST" \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$MANIFEST_DIGEST" "sha256 of the body"
	assert_worker_ok
}

@test "blob GET: every layer and the config match their digests" {
	local d
	for d in "$LAYER0" "$LAYER1" "$CONFIG_DIGEST"; do
		fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --blob "$d" \
			--ca "$REGISTRY_CA"
		assert_eq "$status" 0 "exit status for $d"
		assert_worker_ok
		assert_eq "$(sha_of "$OUT")" "$d" "sha256sum of the downloaded blob"
		assert_eq "$(field digest)" "$d" "Docker-Content-Digest"
		assert_eq "$(field size)" "$(stat -c %s "$IMG/blobs/sha256/${d#sha256:}")" "size"
	done
}

@test "HEAD: status, type, digest and Content-Length, nothing written" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest --head \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(field digest)" "$MANIFEST_DIGEST" "digest"
	assert_eq "$(field media_type)" "$OCI_MANIFEST" "media type"
	assert_eq "$(field size)" "$(stat -c %s "$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}")" "size"
	assert_eq "$(stat -c %s "$OUT")" 0 "bytes written"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --blob "$LAYER0" --head \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(field size)" "$(stat -c %s "$IMG/blobs/sha256/${LAYER0#sha256:}")" "blob size"
	assert_eq "$(stat -c %s "$OUT")" 0 "bytes written"
	assert_worker_ok
}

@test "an unknown tag, blob or repository is 'not found'" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest no-such-tag \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "error: reading manifest no-such-tag in $REGISTRY_PLAIN_ADDR/library/busybox: manifest unknown"
	assert_worker_ok
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox \
		--blob "sha256:$(printf '%064d' 0)" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "blob unknown"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo nobody/here --manifest latest \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "manifest unknown"
	assert_worker_ok
}

@test "a manifest larger than max_size is refused, naming the limit, before it is written" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest \
		--ca "$REGISTRY_CA" --max-size 100
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "the manifest is larger than 100 bytes"
	assert_eq "$(stat -c %s "$OUT")" 0 "bytes written"
	assert_worker_ok
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --blob "$LAYER0" \
		--ca "$REGISTRY_CA" --max-size $((512 * 1024))
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "the blob is larger than 512 KiB"
	assert_eq "$(stat -c %s "$OUT")" 0 "bytes written"
	# Exactly the size is fine.
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest \
		--ca "$REGISTRY_CA" --max-size "$(stat -c %s "$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}")"
	assert_eq "$status" 0 "exit status at exactly the limit"
	assert_worker_ok
}

@test "a body without Content-Length is cut at max_size while it streams" {
	make_blob
	standin STREAM stream
	fetch --registry "$STANDIN_STREAM_ADDR" --repo x/y --blob "$BLOB_DIGEST" \
		--ca "$REGISTRY_CA" --max-size $((4 * 1024 * 1024))
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "the blob is larger than 4 MiB"
	[ "$(stat -c %s "$OUT")" -le $((4 * 1024 * 1024)) ] || fail "more than the limit was written"
	assert_worker_ok
}

@test "several requests on one worker (connection and handle reuse)" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --blob "$LAYER1" \
		--ca "$REGISTRY_CA" --repeat 3
	assert_eq "$status" 0 "exit status"
	assert_eq "$(grep -c '^status=200 ' <<<"$output")" 3 "replies"
	assert_eq "$(sha_of "$OUT")" "$LAYER1" "sha256 of the last download"
	assert_worker_ok
}

@test "the registry named by host name: the resolver thread and NSS inside the sandbox" {
	local host
	host=$(hostname)
	getent ahostsv4 "$host" | grep -q '^127\.0\.0\.1 ' || skip "$host does not resolve to 127.0.0.1"
	fetch --registry "$host:${REGISTRY_PLAIN_ADDR##*:}" --repo library/busybox \
		--manifest latest --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$MANIFEST_DIGEST" "sha256 of the body"
	assert_worker_ok
	fetch --registry "no-such-host.invalid:5000" --repo library/busybox --manifest latest
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "cannot resolve the host name"
	assert_worker_ok
}

# ---------------------------------------------------------------- TLS

@test "TLS: a registry whose CA is unknown fails with a clear x509 error and the way out" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "error: reading manifest latest in $REGISTRY_PLAIN_ADDR/library/busybox"
	assert_contains "$output" "\"https://$REGISTRY_PLAIN_ADDR/v2/library/busybox/manifests/latest\""
	assert_contains "$output" "x509: certificate signed by unknown authority"
	assert_contains "$output" "certs.d/$REGISTRY_PLAIN_ADDR/ca.crt"
	assert_contains "$output" "--tls-verify=false"
	assert_worker_ok
	# Another CA does not help either.
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest \
		--ca "$(registry_pki)/other-ca.crt"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "x509: certificate signed by unknown authority"
	assert_worker_ok
}

@test "TLS: the registry's CA passed as an fd is trusted (in addition to the system's)" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	# The system bundle and the extra CA together.
	cat /etc/ssl/certs/ca-certificates.crt "$REGISTRY_CA" >"$BATS_TEST_TMPDIR/bundle.pem"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest \
		--ca "$BATS_TEST_TMPDIR/bundle.pem"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
}

@test "TLS: a certificate for another name is refused" {
	make_blob
	standin WRONG target - wrong-name
	fetch --registry "$STANDIN_WRONG_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "x509: the certificate is not valid for this host name"
	assert_contains "$output" "--tls-verify=false"
	assert_worker_ok
	run -0 jq -s -r 'length' "$STANDIN_WRONG_LOG"
	assert_eq "$output" 0 "requests that reached the server"
}

@test "TLS: --tls-verify=false talks to an untrusted registry" {
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest \
		--tls-verify=false
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$MANIFEST_DIGEST" "sha256 of the body"
	assert_worker_ok
}

@test "TLS: the CA fd is bounded (1 MiB)" {
	head -c $((1024 * 1024 + 1)) /dev/zero >"$BATS_TEST_TMPDIR/huge.pem"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo library/busybox --manifest latest \
		--ca "$BATS_TEST_TMPDIR/huge.pem"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "larger than 1 MiB"
	assert_worker_ok
}

@test "plain HTTP only when asked for; an https client meeting an http server says so" {
	make_blob
	standin PLAIN target - plain
	fetch --registry "$STANDIN_PLAIN_ADDR" --repo x/y --blob "$BLOB_DIGEST"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "TLS"
	assert_worker_ok
	fetch --registry "$STANDIN_PLAIN_ADDR" --repo x/y --blob "$BLOB_DIGEST" --plain-http
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$BLOB_DIGEST" "sha256 of the body"
	assert_worker_ok
}

# ---------------------------------------------------------------- authentication

@test "Basic auth registry: anonymous is 'unauthorized: authentication required'" {
	fetch --registry "$REGISTRY_BASIC_ADDR" --repo busybox --manifest latest --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "unauthorized: authentication required"
	assert_worker_ok
}

@test "Basic auth registry: a wrong password is 'invalid username/password', and never echoed" {
	fetch --registry "$REGISTRY_BASIC_ADDR" --repo busybox --manifest latest --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "wrong-$REGISTRY_PASSWORD"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "unauthorized: invalid username/password"
	[[ $output != *"wrong-$REGISTRY_PASSWORD"* ]] || fail "the password is in the message"
	assert_worker_ok
}

@test "Basic auth registry: the right password works for manifests and blobs" {
	fetch --registry "$REGISTRY_BASIC_ADDR" --repo busybox --manifest latest --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$MANIFEST_DIGEST" "sha256 of the manifest"
	assert_worker_ok
	fetch --registry "$REGISTRY_BASIC_ADDR" --repo busybox --blob "$LAYER0" --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$LAYER0" "sha256 of the layer"
	assert_worker_ok
}

@test "token auth: anonymous and wrong passwords are refused by the token server" {
	fetch --registry "$REGISTRY_TOKEN_ADDR" --repo busybox --manifest latest --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "unauthorized: authentication required"
	assert_contains "$output" "getting a token from https://127.0.0.1:"
	assert_worker_ok
	fetch --registry "$REGISTRY_TOKEN_ADDR" --repo busybox --manifest latest --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password nope
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "unauthorized: invalid username/password"
	assert_worker_ok
}

@test "token auth: the Bearer flow with credentials; the token is cached per (registry, scope)" {
	local before after
	before=$(wc -l <"$REGISTRY_TOKEN_TOKEN_LOG")
	fetch --registry "$REGISTRY_TOKEN_ADDR" --repo busybox --manifest latest --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD" --repeat 3
	assert_eq "$status" 0 "exit status"
	assert_eq "$(grep -c '^status=200 ' <<<"$output")" 3 "replies"
	assert_eq "$(sha_of "$OUT")" "$MANIFEST_DIGEST" "sha256 of the manifest"
	assert_worker_ok
	after=$(wc -l <"$REGISTRY_TOKEN_TOKEN_LOG")
	assert_eq "$((after - before))" 1 "token requests for three GETs"
	assert_eq "$(tail -n 1 "$REGISTRY_TOKEN_TOKEN_LOG")" \
		"user=$REGISTRY_USER service=berth-test-registry scope=repository:busybox:pull" \
		"the token request"
	# A blob of the same repository reuses the token (another worker: a new cache).
	fetch --registry "$REGISTRY_TOKEN_ADDR" --repo busybox --blob "$LAYER1" --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD" --repeat 2
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$LAYER1" "sha256 of the layer"
	assert_eq "$(($(wc -l <"$REGISTRY_TOKEN_TOKEN_LOG") - after))" 1 "token requests"
	assert_worker_ok
}

@test "token auth: a cached token the registry stops accepting is dropped and renewed" {
	make_blob
	standin ONCE bearer-once
	fetch --registry "$STANDIN_ONCE_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA" \
		--repeat 2
	assert_eq "$status" 0 "exit status"
	assert_eq "$(grep -c '^status=200 ' <<<"$output")" 2 "replies"
	assert_eq "$(sha_of "$OUT")" "$BLOB_DIGEST" "sha256 of the download"
	assert_worker_ok
	# anonymous 401, token, GET; cached token 401, token, GET.
	run -0 jq -s -r 'map(.path | split("?")[0] | sub("/v2/.*"; "/v2")) | join(" ")' \
		"$STANDIN_ONCE_LOG"
	assert_eq "$output" "/v2 /token /v2 /v2 /token /v2" "the requests"
	run -0 jq -s -r 'map(select(.path | startswith("/token")) | .path) | .[0] | ascii_downcase' \
		"$STANDIN_ONCE_LOG"
	assert_eq "$output" "/token?service=standin&scope=repository%3ax%2fy%3apull" "the token request"
	run -0 jq -s -r 'map(.headers.authorization // "-") | join(" ")' "$STANDIN_ONCE_LOG"
	assert_eq "$output" "- - Bearer tok0 Bearer tok0 - Bearer tok1" "the Authorization headers"
}

@test "token auth: a token server answer that is not a usable token is refused" {
	make_blob
	local m
	for m in notjson number ctl; do
		standin "TOK$m" "bearer-$m"
		local var=STANDIN_TOK${m}_ADDR
		fetch --registry "${!var}" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA"
		assert_eq "$status" 1 "exit status ($m)"
		assert_worker_ok
		case $m in
		notjson) assert_contains "$output" "the token server's answer is not JSON" ;;
		*) assert_contains "$output" "the token server sent an unusable token" ;;
		esac
	done
}

@test "request headers: berth's User-Agent, the Accept list, no credentials unasked" {
	make_blob
	standin HDRS target
	fetch --registry "$STANDIN_HDRS_ADDR" --repo x/y --manifest latest --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	run -0 jq -s -r '.[0].headers["user-agent"]' "$STANDIN_HDRS_LOG"
	assert_eq "$output" "berth/$BERTH_VERSION" "User-Agent"
	run -0 jq -s -r '.[0].headers.accept' "$STANDIN_HDRS_LOG"
	assert_eq "$output" "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json" "Accept"
	# Credentials go out only when the registry asks (a 401).
	run -0 jq -s -r '.[0].headers | has("authorization")' "$STANDIN_HDRS_LOG"
	assert_eq "$output" false "Authorization without a challenge"
	run -0 jq -s -r '.[0].path' "$STANDIN_HDRS_LOG"
	assert_eq "$output" "/v2/x/y/manifests/latest" "path"
}

@test "auth: an unparsable challenge, an http token realm and unknown schemes are refused" {
	make_blob
	standin BADCH bad-challenge
	fetch --registry "$STANDIN_BADCH_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "malformed WWW-Authenticate header"
	assert_worker_ok
	standin HTTPREALM http-realm
	fetch --registry "$STANDIN_HTTPREALM_ADDR" --repo x/y --blob "$BLOB_DIGEST" \
		--ca "$REGISTRY_CA" --user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "token realm is not an https URL"
	assert_worker_ok
	standin NEGO negotiate
	fetch --registry "$STANDIN_NEGO_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "not support (negotiate)"
	assert_worker_ok
}

# ---------------------------------------------------------------- redirects

@test "a redirect to another host never carries the Authorization header" {
	make_blob
	standin TARGET target
	standin REDIR redirect "https://$STANDIN_TARGET_ADDR/storage/blob"
	fetch --registry "$STANDIN_REDIR_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$BLOB_DIGEST" "sha256 of the redirected download"
	assert_worker_ok
	# The registry got the credential (so the check below is not vacuous) ...
	run -0 jq -s -r '[.[] | select(.headers.authorization != null)] | length' "$STANDIN_REDIR_LOG"
	[ "$output" -ge 1 ] || fail "the registry never saw an Authorization header"
	run -0 jq -s -r '.[-1].headers.authorization' "$STANDIN_REDIR_LOG"
	assert_eq "$output" "Basic $(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 -w0)" \
		"the registry's Authorization"
	# ... and the other host did not.
	run -0 jq -s -r 'length' "$STANDIN_TARGET_LOG"
	assert_eq "$output" 1 "requests at the redirect target"
	run -0 jq -s -r '.[0].headers | has("authorization")' "$STANDIN_TARGET_LOG"
	assert_eq "$output" false "Authorization at the redirect target"
	run -0 jq -s -r '.[0].path' "$STANDIN_TARGET_LOG"
	assert_eq "$output" "/storage/blob?X-Amz-Signature=not-a-secret" "the redirect target's path"
}

@test "a redirect within the registry's own origin keeps the Authorization header" {
	make_blob
	standin SAME redirect-same
	fetch --registry "$STANDIN_SAME_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$BLOB_DIGEST" "sha256 of the download"
	assert_worker_ok
	run -0 jq -s -r '.[-1] | .path + " " + (.headers | has("authorization") | tostring)' \
		"$STANDIN_SAME_LOG"
	assert_eq "$output" "/final?sig=x true" "the last request"
}

@test "redirects: https to http is refused; a loop ends" {
	make_blob
	standin HTTPT target - plain
	standin DOWN redirect "http://$STANDIN_HTTPT_ADDR/blob"
	fetch --registry "$STANDIN_DOWN_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "refusing to follow a redirect to http://127.0.0.1 (only https)"
	assert_worker_ok
	run -0 jq -s -r 'length' "$STANDIN_HTTPT_LOG"
	assert_eq "$output" 0 "requests at the http target"
	standin LOOP redirect-loop
	fetch --registry "$STANDIN_LOOP_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "more than 5 redirects"
	assert_worker_ok
}

# ---------------------------------------------------------------- retries

@test "retries: a 503 and a cut-off body are retried, and the output starts over" {
	make_blob
	standin FLAKY flaky
	fetch --registry "$STANDIN_FLAKY_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_eq "$(sha_of "$OUT")" "$BLOB_DIGEST" "sha256 of the download after two failures"
	assert_eq "$(stat -c %s "$OUT")" "$(stat -c %s "$BLOB")" "size of the download"
	assert_worker_ok
	run -0 jq -s -r 'length' "$STANDIN_FLAKY_LOG"
	assert_eq "$output" 3 "requests"
}

@test "retries: 429 is tried four times with backoff; other 4xx only once" {
	make_blob
	standin BUSY always-429
	local t0=$SECONDS
	fetch --registry "$STANDIN_BUSY_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "HTTP 429 Too Many Requests (after 4 attempts): TOOMANYREQUESTS: slow down"
	[ $((SECONDS - t0)) -ge 3 ] || fail "no backoff between attempts"
	assert_worker_ok
	run -0 jq -s -r 'length' "$STANDIN_BUSY_LOG"
	assert_eq "$output" 4 "requests"
	standin NO always-400
	fetch --registry "$STANDIN_NO_ADDR" --repo x/y --blob "$BLOB_DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "HTTP 400 Bad Request: BAD_REQUEST: no"
	assert_worker_ok
	run -0 jq -s -r 'length' "$STANDIN_NO_LOG"
	assert_eq "$output" 1 "requests"
}

@test "a registry that is not there: connection refused, retried, then a clear error" {
	local port
	port=$(free_port)
	fetch --registry "127.0.0.1:$port" --repo library/busybox --manifest latest
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "\"https://127.0.0.1:$port/v2/library/busybox/manifests/latest\": cannot connect"
	assert_contains "$output" "(after 4 attempts)"
	assert_worker_ok
}

# ---------------------------------------------------------------- refused requests

@test "requests with hostile names are refused before any network use" {
	fetch --registry "evil.example/x?" --repo busybox --manifest latest
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "invalid registry name"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo "../../v2" --manifest latest
	assert_contains "$output" "invalid repository name"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo busybox --manifest "latest?x=1"
	assert_contains "$output" "invalid tag or digest"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo busybox --blob latest
	assert_contains "$output" "a blob is named by its digest"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo busybox --manifest latest \
		--accept $'text/plain\r\nX-Injected: 1'
	assert_contains "$output" "invalid media type in Accept"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo busybox --manifest latest \
		--user 'a:b' --password x
	assert_contains "$output" "the credentials contain characters HTTP cannot carry"
	assert_worker_ok
}

# ---------------------------------------------------------------- uploads (MSG_F_PUT)

# put ARGS...: fetch-call in an upload mode; sets $status and $output.
put() {
	run "$FETCH_CALL" "$@"
	echo "$output"
}

# random_blob FILE BYTES: random content; sets DIGEST to its sha256 digest.
random_blob() {
	head -c "$2" /dev/urandom >"$1"
	DIGEST=$(sha_of "$1")
}

blob_file() {
	echo "$IMG/blobs/sha256/${1#sha256:}"
}

@test "push a blob, then GET it back: the same bytes" {
	random_blob "$BATS_TEST_TMPDIR/b" $((1024 * 1024 + 17))
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/one --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	assert_eq "$(field status)" 201 "HTTP status"
	assert_eq "$(field existed)" false "existed"
	assert_eq "$(field digest)" "$DIGEST" "Docker-Content-Digest"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo push/one --blob "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status of the download"
	assert_worker_ok
	cmp "$OUT" "$BATS_TEST_TMPDIR/b"
}

@test "push a blob the registry has: HEAD finds it, nothing is uploaded again" {
	random_blob "$BATS_TEST_TMPDIR/b" 4096
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/twice --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --ca "$REGISTRY_CA" --repeat 2
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	assert_eq "$(grep -c '^status=' <<<"$output")" 2 "replies"
	assert_line_re "$output" "^status=201 existed=false digest=$DIGEST\$" "the first push"
	assert_line_re "$output" "^status=200 existed=true digest=$DIGEST\$" "the second push"
}

@test "push an empty blob" {
	: >"$BATS_TEST_TMPDIR/empty"
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/empty --put-blob "$BATS_TEST_TMPDIR/empty" \
		--digest "$(sha_of "$BATS_TEST_TMPDIR/empty")" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	assert_eq "$(field status)" 201 "HTTP status"
}

@test "cross-repository mount: existed, and the blob is readable in the new repository" {
	random_blob "$BATS_TEST_TMPDIR/b" 65536
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/src --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status of the first push"
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/dst --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --mount-from push/src --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status of the mount"
	assert_worker_ok
	assert_eq "$(field status)" 201 "HTTP status"
	assert_eq "$(field existed)" true "existed"
	assert_eq "$(field digest)" "$DIGEST" "digest"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo push/dst --blob "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status of the download"
	cmp "$OUT" "$BATS_TEST_TMPDIR/b"
	# A mount source without the blob: the registry opens an ordinary session instead.
	random_blob "$BATS_TEST_TMPDIR/c" 1000
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/dst2 --put-blob "$BATS_TEST_TMPDIR/c" \
		--digest "$DIGEST" --mount-from push/src --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status of the fallback"
	assert_eq "$(field existed)" false "existed"
	assert_worker_ok
}

@test "a 40 MiB blob goes up in PATCH chunks and arrives intact" {
	random_blob "$BATS_TEST_TMPDIR/big" $((40 * 1024 * 1024))
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/big --put-blob "$BATS_TEST_TMPDIR/big" \
		--digest "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	assert_eq "$(field status)" 201 "HTTP status"
	assert_eq "$(field digest)" "$DIGEST" "digest"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo push/big --blob "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status of the download"
	assert_eq "$(sha_of "$OUT")" "$DIGEST" "sha256 of what came back"
}

@test "chunked upload, seen from the server: 16 MiB PATCHes with Content-Range, then PUT ?digest=" {
	make_blob
	standin UPC upload
	random_blob "$BATS_TEST_TMPDIR/big" $((40 * 1024 * 1024))
	put --registry "$STANDIN_UPC_ADDR" --repo x/y --put-blob "$BATS_TEST_TMPDIR/big" \
		--digest "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	run -0 jq -s -r 'map(.method + " " + (.path | split("?")[0]) + " " +
		(.headers["content-range"] // "-") + " " + (.headers["content-length"] // "-")) | .[]' \
		"$STANDIN_UPC_LOG"
	assert_eq "$output" "HEAD /v2/x/y/blobs/$DIGEST - -
POST /v2/x/y/blobs/uploads/ - 0
PATCH /upload/s1 0-16777215 16777216
PATCH /upload/s1n 16777216-33554431 16777216
PATCH /upload/s1nn 33554432-41943039 8388608
PUT /upload/s1nnn - 0" "the requests"
	run -0 jq -s -r '.[-1].path' "$STANDIN_UPC_LOG"
	assert_eq "$output" "/upload/s1nnn?digest=${DIGEST/:/%3A}" "the final PUT"
	run -0 jq -s -r '[.[] | select(.method == "PATCH") | .headers["content-type"]] | unique | .[]' \
		"$STANDIN_UPC_LOG"
	assert_eq "$output" application/octet-stream "PATCH Content-Type"
}

@test "monolithic upload, seen from the server: a relative Location with a query gets &digest=" {
	make_blob
	standin UPM upload
	put --registry "$STANDIN_UPM_ADDR" --repo x/y --put-blob "$BLOB" --digest "$BLOB_DIGEST" \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	run -0 jq -s -r 'map(.method + " " + .path) | .[]' "$STANDIN_UPM_LOG"
	assert_eq "$output" "HEAD /v2/x/y/blobs/$BLOB_DIGEST
POST /v2/x/y/blobs/uploads/
PUT /upload/s1?_state=abc%3D&digest=${BLOB_DIGEST/:/%3A}" "the requests"
	run -0 jq -s -r '.[-1].headers | .["content-type"] + " " + .["content-length"]' \
		"$STANDIN_UPM_LOG"
	assert_eq "$output" "application/octet-stream 262144" "the PUT's headers"
}

@test "monolithic upload: a 503 on the PUT starts the upload over from a new session" {
	make_blob
	standin UPF upload-flaky
	put --registry "$STANDIN_UPF_ADDR" --repo x/y --put-blob "$BLOB" --digest "$BLOB_DIGEST" \
		--ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	assert_eq "$(field digest)" "$BLOB_DIGEST" "digest"
	run -0 jq -s -r 'map(.method + " " + (.path | split("?")[0])) | .[]' "$STANDIN_UPF_LOG"
	assert_eq "$output" "HEAD /v2/x/y/blobs/$BLOB_DIGEST
POST /v2/x/y/blobs/uploads/
PUT /upload/s1
POST /v2/x/y/blobs/uploads/
PUT /upload/s2" "the requests"
}

@test "an upload session on another origin is refused: neither credentials nor content go there" {
	make_blob
	standin UPT target
	standin UPE upload-elsewhere "https://$STANDIN_UPT_ADDR"
	put --registry "$STANDIN_UPE_ADDR" --repo x/y --put-blob "$BLOB" --digest "$BLOB_DIGEST" \
		--ca "$REGISTRY_CA" --user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 1 "exit status"
	assert_worker_ok
	assert_contains "$output" "uploading blob $BLOB_DIGEST to $STANDIN_UPE_ADDR/x/y: starting an upload session: the registry sent the upload to https://127.0.0.1:${STANDIN_UPT_ADDR##*:}, not to itself: refused"
	run -0 jq -s -r 'length' "$STANDIN_UPT_LOG"
	assert_eq "$output" 0 "requests at the other origin"
	# The registry itself did get the credentials (the check above is not vacuous).
	run -0 jq -s -r '[.[] | select(.headers.authorization != null)] | length' "$STANDIN_UPE_LOG"
	[ "$output" -ge 1 ] || fail "the registry never saw an Authorization header"
}

@test "push a manifest: skopeo reads back the same bytes and copies the image" {
	local m d repo=pushed/busybox
	m=$(blob_file "$MANIFEST_DIGEST")
	for d in "$CONFIG_DIGEST" "$LAYER0" "$LAYER1"; do
		put --registry "$REGISTRY_PLAIN_ADDR" --repo "$repo" --put-blob "$(blob_file "$d")" \
			--digest "$d" --ca "$REGISTRY_CA"
		assert_eq "$status" 0 "exit status for $d"
		assert_worker_ok
	done
	put --registry "$REGISTRY_PLAIN_ADDR" --repo "$repo" --put-manifest "$m" --reference v1 \
		--media-type "$OCI_MANIFEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status of the manifest push"
	assert_worker_ok
	assert_eq "$(field status)" 201 "HTTP status"
	assert_eq "$(field existed)" false "existed"
	assert_eq "$(field digest)" "$MANIFEST_DIGEST" "Docker-Content-Digest"
	# An independent client sees exactly what was pushed ...
	skopeo inspect --raw --cert-dir "$REGISTRY_CERT_DIR" \
		"docker://$REGISTRY_PLAIN_ADDR/$repo:v1" >"$BATS_TEST_TMPDIR/raw" 3>&-
	cmp "$BATS_TEST_TMPDIR/raw" "$m"
	# ... and can copy the image out of the registry, checking every digest.
	skopeo --insecure-policy copy --quiet --src-cert-dir "$REGISTRY_CERT_DIR" \
		"docker://$REGISTRY_PLAIN_ADDR/$repo:v1" "oci:$BATS_TEST_TMPDIR/copy:v1" 3>&-
	for d in "$MANIFEST_DIGEST" "$CONFIG_DIGEST" "$LAYER0" "$LAYER1"; do
		cmp "$BATS_TEST_TMPDIR/copy/blobs/sha256/${d#sha256:}" "$(blob_file "$d")"
	done
	# By digest as well.
	put --registry "$REGISTRY_PLAIN_ADDR" --repo "$repo" --put-manifest "$m" \
		--reference "$MANIFEST_DIGEST" --media-type "$OCI_MANIFEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 0 "exit status of the push by digest"
	assert_eq "$(field digest)" "$MANIFEST_DIGEST" "Docker-Content-Digest"
	assert_worker_ok
}

@test "push a manifest whose blobs are not there: the registry refuses, and the error says why" {
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/noblobs \
		--put-manifest "$(blob_file "$MANIFEST_DIGEST")" --reference v1 \
		--media-type "$OCI_MANIFEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_worker_ok
	assert_contains "$output" "error: uploading manifest v1 to $REGISTRY_PLAIN_ADDR/push/noblobs: the registry refused it: HTTP 400 Bad Request: MANIFEST_BLOB_UNKNOWN"
}

@test "Basic auth registry: push without credentials is refused clearly; with them it works" {
	random_blob "$BATS_TEST_TMPDIR/b" 10000
	put --registry "$REGISTRY_BASIC_ADDR" --repo team/app --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_worker_ok
	assert_contains "$output" "error: uploading blob $DIGEST to $REGISTRY_BASIC_ADDR/team/app: "
	assert_contains "$output" "401 unauthorized: authentication required"
	put --registry "$REGISTRY_BASIC_ADDR" --repo team/app --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --ca "$REGISTRY_CA" --user "$REGISTRY_USER" \
		--password "wrong-$REGISTRY_PASSWORD"
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "401 unauthorized: invalid username/password"
	[[ $output != *"wrong-$REGISTRY_PASSWORD"* ]] || fail "the password is in the message"
	assert_worker_ok
	put --registry "$REGISTRY_BASIC_ADDR" --repo team/app --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --ca "$REGISTRY_CA" --user "$REGISTRY_USER" \
		--password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status with credentials"
	assert_eq "$(field status)" 201 "HTTP status"
	assert_worker_ok
	fetch --registry "$REGISTRY_BASIC_ADDR" --repo team/app --blob "$DIGEST" --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status of the download"
	cmp "$OUT" "$BATS_TEST_TMPDIR/b"
}

@test "token registry: push with credentials asks for pull,push; a mount adds pull on the source" {
	local before
	random_blob "$BATS_TEST_TMPDIR/b" 30000
	put --registry "$REGISTRY_TOKEN_ADDR" --repo team/app --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status without credentials"
	assert_contains "$output" "error: uploading blob $DIGEST to $REGISTRY_TOKEN_ADDR/team/app: "
	assert_contains "$output" "401 unauthorized: authentication required"
	assert_worker_ok
	before=$(wc -l <"$REGISTRY_TOKEN_TOKEN_LOG")
	put --registry "$REGISTRY_TOKEN_ADDR" --repo team/app --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --ca "$REGISTRY_CA" --user "$REGISTRY_USER" \
		--password "$REGISTRY_PASSWORD" --repeat 2
	assert_eq "$status" 0 "exit status"
	assert_worker_ok
	assert_line_re "$output" "^status=201 existed=false digest=$DIGEST\$" "the push"
	assert_line_re "$output" "^status=200 existed=true digest=$DIGEST\$" "the second push"
	assert_eq "$(($(wc -l <"$REGISTRY_TOKEN_TOKEN_LOG") - before))" 1 "token requests (cached)"
	assert_eq "$(tail -n 1 "$REGISTRY_TOKEN_TOKEN_LOG")" \
		"user=$REGISTRY_USER service=berth-test-registry scope=repository:team/app:pull,push" \
		"the token request"
	put --registry "$REGISTRY_TOKEN_ADDR" --repo team/other --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --mount-from team/app --ca "$REGISTRY_CA" --user "$REGISTRY_USER" \
		--password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status of the mount"
	assert_eq "$(field existed)" true "existed"
	assert_worker_ok
	assert_eq "$(tail -n 1 "$REGISTRY_TOKEN_TOKEN_LOG")" \
		"user=$REGISTRY_USER service=berth-test-registry scope=repository:team/other:pull,push repository:team/app:pull" \
		"the token request for a mount"
	fetch --registry "$REGISTRY_TOKEN_ADDR" --repo team/other --blob "$DIGEST" --ca "$REGISTRY_CA" \
		--user "$REGISTRY_USER" --password "$REGISTRY_PASSWORD"
	assert_eq "$status" 0 "exit status of the download"
	cmp "$OUT" "$BATS_TEST_TMPDIR/b"
}

@test "a digest that does not match the content: the registry refuses, and the error says so" {
	random_blob "$BATS_TEST_TMPDIR/b" 5000
	local wrong
	wrong="sha256:$(printf 'not this one' | sha256sum | cut -d' ' -f1)"
	put --registry "$REGISTRY_PLAIN_ADDR" --repo push/wrong --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$wrong" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status"
	assert_worker_ok
	assert_contains "$output" "error: uploading blob $wrong to $REGISTRY_PLAIN_ADDR/push/wrong: sending it: the registry refused it: HTTP 400 Bad Request: DIGEST_INVALID: provided digest did not match uploaded content"
	fetch --registry "$REGISTRY_PLAIN_ADDR" --repo push/wrong --blob "$wrong" --ca "$REGISTRY_CA"
	assert_eq "$status" 1 "exit status of the download"
	assert_contains "$output" "blob unknown"
}

@test "upload requests the worker refuses before any network use" {
	random_blob "$BATS_TEST_TMPDIR/b" 100
	local port
	port=$(free_port) # nothing listens: a request that got through would say "cannot connect"
	put --registry "127.0.0.1:$port" --repo x/y --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --size 101
	assert_eq "$status" 1 "exit status"
	assert_contains "$output" "upload request refused: the content to upload has 100 bytes, the request says 101"
	put --registry "127.0.0.1:$port" --repo x/y --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --writable
	assert_contains "$output" "the content to upload must be passed as a read-only file"
	put --registry "127.0.0.1:$port" --repo x/y --put-blob "$BATS_TEST_TMPDIR/b" --digest latest
	assert_contains "$output" "a blob is named by its digest"
	put --registry "127.0.0.1:$port" --repo x/y --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --mount-from "../z"
	assert_contains "$output" "invalid repository name to mount from"
	put --registry "127.0.0.1:$port" --repo x/y --put-blob "$BATS_TEST_TMPDIR/b" \
		--digest "$DIGEST" --mount-from x/y
	assert_contains "$output" "a blob cannot be mounted from its own repository"
	put --registry "127.0.0.1:$port" --repo x/y --put-manifest "$BATS_TEST_TMPDIR/b" \
		--reference v1 --media-type $'application/json\r\nX-Injected: 1'
	assert_contains "$output" "invalid media type"
	put --registry "127.0.0.1:$port" --repo x/y --put-manifest "$BATS_TEST_TMPDIR/b" \
		--reference "v1?x=1" --media-type "$OCI_MANIFEST"
	assert_contains "$output" "invalid tag or digest"
	put --registry "127.0.0.1:$port" --repo x/y --put-manifest "$BATS_TEST_TMPDIR/b" \
		--reference v1
	assert_contains "$output" "a manifest needs its media type"
	assert_worker_ok
}
