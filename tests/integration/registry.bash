# Real container registries for the integration suites: `load registry` after `load helpers`.
#
#   registry_start NAME [--auth | --token | --http | --mtls]
#       Starts Debian's docker-registry (distribution 2.8) on a free port of 127.0.0.1 only,
#       with filesystem storage in a fresh directory, and waits until it answers. TLS with a
#       server certificate (SANs 127.0.0.1, ::1, localhost and this host's name) from a test CA
#       made once per run under $BERTH_IT_TMP/registry-pki. Exports
#         REGISTRY_<NAME>_ADDR=127.0.0.1:PORT   (NAME upper-cased, non-alphanumerics as _)
#         REGISTRY_<NAME>_DIR=its directory (config.yml, registry.log, data/)
#         REGISTRY_CA=the test CA's certificate (PEM)
#         REGISTRY_CERT_DIR=a directory holding it as ca.crt (skopeo's --*-cert-dir, certs.d)
#         REGISTRY_USER, REGISTRY_PASSWORD (berth / s3cret-pass)
#       --auth:  htpasswd (bcrypt) Basic authentication for every request.
#       --token: the Docker token flow: the registry answers Bearer challenges naming a token
#                server (python3, TLS, same CA) on another port, which issues RS256 JWTs the
#                registry trusts, for REGISTRY_USER/REGISTRY_PASSWORD only (anonymous and
#                wrong passwords get 401). Also exports REGISTRY_<NAME>_TOKEN_LOG, one line
#                per token request: "user=<who> service=<service> scope=<scope>".
#       --http:  plain HTTP, no TLS.
#       --mtls:  TLS that requires a client certificate from the test CA (mutual TLS: the
#                registry's http.tls.clientcas). The test PKI has one: REGISTRY_CLIENT_CERT
#                and REGISTRY_CLIENT_KEY (PEM), and REGISTRY_CLIENT_CERT_DIR, a certs.d
#                directory holding ca.crt, client.cert and client.key.
#   registry_stop NAME      stops it (and its token server); call it in teardown_file.
#   make_test_image DIR [LAYER-DIR...]
#       An OCI image layout in DIR from the host's busybox-static (scripts/mkimage.sh), with one
#       more layer per LAYER-DIR; ref.name "latest".
#   make_test_archive NAME REF [LAYER-DIR...]
#       make_test_image in $BERTH_IT_TMP/NAME, copied to the oci-archive $BERTH_IT_TMP/NAME.tar
#       (readable by the test users) with the image name REF; prints the archive's path.
#   make_users_layer DIR
#       A layer directory with /etc/passwd (root, and "app" 1000:1001 with home /home/app) and
#       /etc/group (root 0, wheel 10 with root and app, audio 29 with app, app 1001, staff 50).
#   push_test_image DIR REF
#       skopeo copy oci:DIR:latest docker://REF, trusting the test CA, with the test
#       credentials when REF's registry needs them.
#   free_port               a TCP port of 127.0.0.1 that was free a moment ago.
#
# Everything binds 127.0.0.1 only. Each started process has its own directory under
# $BERTH_IT_TMP, so several suites (and several registries in one suite) do not collide.

: "${BERTH_IT_TMP:?BERTH_IT_TMP is not set: run the suites through tests/integration/run}"

REGISTRY_PYTHON=${REGISTRY_PYTHON:-/usr/bin/python3}
REGISTRY_USER=berth
REGISTRY_PASSWORD=s3cret-pass
export REGISTRY_USER REGISTRY_PASSWORD

free_port() {
	"$REGISTRY_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# registry_var NAME SUFFIX: the variable name REGISTRY_<NAME>_<SUFFIX>.
registry_var() {
	local n
	n=$(tr '[:lower:]' '[:upper:]' <<<"$1" | tr -c 'A-Z0-9\n' '_')
	echo "REGISTRY_${n}_$2"
}

# ---------------------------------------------------------------- the test PKI

# registry_pki: makes (once per test run, under a lock) the test CA (ca.crt, and certs.d/ca.crt),
# a server certificate for the registries (server.crt/key), one for a name no server has
# (wrong-name.crt/key), an unrelated CA (other-ca.crt), a signing certificate for the token
# server (token.crt/key) and a client certificate from the test CA (client.crt/key, and
# client-certs.d/ with ca.crt, client.cert and client.key). Prints the directory.
registry_pki() {
	local d=$BERTH_IT_TMP/registry-pki san host
	(
		flock 9
		[ -f "$d/done" ] && exit 0
		rm -rf "$d"
		mkdir -p "$d/certs.d"
		cd "$d" || exit 1
		san="IP:127.0.0.1,IP:::1,DNS:localhost"
		host=$(hostname 2>/dev/null || true)
		if [ -n "$host" ] && [ "$host" != localhost ]; then
			san+=",DNS:$host"
		fi
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.crt -days 3 -subj "/CN=berth integration test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
		printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
			"$san" >server.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out server.crt -days 3 -extfile server.ext 2>/dev/null
		# A certificate from the test CA for a name no test server has, for host name checks.
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout wrong-name.key -out wrong-name.csr -subj "/CN=wrong.example" 2>/dev/null
		printf 'subjectAltName=DNS:wrong.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
			>wrong-name.ext
		openssl x509 -req -in wrong-name.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out wrong-name.crt -days 3 -extfile wrong-name.ext 2>/dev/null
		# A CA nobody trusts, for "wrong CA" tests.
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout other-ca.key -out other-ca.crt -days 3 -subj "/CN=some other CA" \
			-addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
		# The token server's signing key; the registry trusts its certificate
		# (rootcertbundle) and finds it in each token's x5c header.
		openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt \
			-days 3 -subj "/CN=berth test token issuer" 2>/dev/null
		# A client certificate for registries that require one (--mtls).
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout client.key -out client.csr -subj "/CN=berth test client" 2>/dev/null
		printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
			>client.ext
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out client.crt -days 3 -extfile client.ext 2>/dev/null
		mkdir -p client-certs.d
		cp ca.crt certs.d/ca.crt
		cp ca.crt client-certs.d/ca.crt
		cp client.crt client-certs.d/client.cert
		cp client.key client-certs.d/client.key
		chmod 0644 ./*.crt
		chmod 0600 ./*.key client-certs.d/client.key
		openssl verify -CAfile ca.crt server.crt >/dev/null || exit 1
		openssl verify -CAfile ca.crt client.crt >/dev/null || exit 1
		touch "$d/done"
	) 9>"$BERTH_IT_TMP/registry-pki.lock" || {
		echo "registry_pki: could not make the test certificates in $d" >&2
		return 1
	}
	echo "$d"
}

# ---------------------------------------------------------------- the token server

# The Docker token server: GET /token?service=S&scope=S... with Basic credentials; answers
# {"token": JWT, "expires_in": 300}. Listens on 127.0.0.1, port 0, and writes its port to a
# file once it listens.
REGISTRY_TOKEN_SERVER='
import base64, http.server, json, os, ssl, subprocess, sys, time, urllib.parse
port_file, cert, key, sign_key, sign_cert, issuer, service, user, password, log = sys.argv[1:11]

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

with open(sign_cert) as f:
    pem = f.read()
der_b64 = "".join(l for l in pem.splitlines() if "CERTIFICATE" not in l)
want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization")
        who = user if auth == want else ("anonymous" if auth is None else "wrong")
        scopes = q.get("scope", [])
        with open(log, "a") as f:
            f.write("user=%s service=%s scope=%s\n" % (who, ",".join(q.get("service", [])), " ".join(scopes)))
        if u.path != "/token":
            return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such path"}]})
        if who != user:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                              [("WWW-Authenticate", "Basic realm=\"berth test tokens\"")])
        access = []
        for s in " ".join(scopes).split():
            parts = s.split(":")
            if len(parts) < 3:
                continue
            access.append({"type": parts[0], "name": ":".join(parts[1:-1]), "actions": parts[-1].split(",")})
        now = int(time.time())
        claims = {"iss": issuer, "sub": who, "aud": service, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": b64url(os.urandom(12)), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [der_b64]}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sign_key],
                             input=signing_input.encode(), capture_output=True, check=True).stdout
        self.reply(200, {"token": signing_input + "." + b64url(sig), "expires_in": 300})

    def log_message(self, fmt, *args):
        sys.stderr.write("token-server: " + (fmt % args) + "\n")

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
'

# wait_for_file FILE SECONDS
wait_for_file() {
	local _
	for _ in $(seq $(($2 * 20))); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------- registries

registry_start() {
	local name=$1 mode=${2:-} pki dir port scheme=https tport
	pki=$(registry_pki) || return 1
	dir=$(mktemp -d "$BERTH_IT_TMP/registry-$name.XXXXXX")
	mkdir -p "$dir/data"
	export REGISTRY_CA=$pki/ca.crt REGISTRY_CERT_DIR=$pki/certs.d
	export REGISTRY_CLIENT_CERT=$pki/client.crt REGISTRY_CLIENT_KEY=$pki/client.key
	export REGISTRY_CLIENT_CERT_DIR=$pki/client-certs.d
	# The readiness check presents the client certificate: only --mtls asks for it.
	local client=(--cert "$pki/client.crt" --key "$pki/client.key")

	local auth_yaml="" tls_yaml
	tls_yaml="  tls:
    certificate: $pki/server.crt
    key: $pki/server.key"
	case $mode in
	"") ;;
	--http)
		scheme=http
		tls_yaml=""
		;;
	--mtls)
		tls_yaml+="
    clientcas:
      - $pki/ca.crt"
		;;
	--auth)
		htpasswd -Bbc "$dir/htpasswd" "$REGISTRY_USER" "$REGISTRY_PASSWORD" 2>/dev/null ||
			{ echo "registry_start: htpasswd failed" >&2; return 1; }
		auth_yaml="auth:
  htpasswd:
    realm: berth-test-registry
    path: $dir/htpasswd"
		;;
	--token)
		: >"$dir/token.log"
		"$REGISTRY_PYTHON" -c "$REGISTRY_TOKEN_SERVER" "$dir/token.port" "$pki/server.crt" \
			"$pki/server.key" "$pki/token.key" "$pki/token.crt" berth-test-issuer \
			berth-test-registry "$REGISTRY_USER" "$REGISTRY_PASSWORD" "$dir/token.log" \
			</dev/null >"$dir/token-server.log" 2>&1 3>&- &
		echo $! >"$dir/token.pid"
		if ! wait_for_file "$dir/token.port" 10; then
			echo "registry_start: the token server did not start:" >&2
			cat "$dir/token-server.log" >&2
			return 1
		fi
		tport=$(cat "$dir/token.port")
		auth_yaml="auth:
  token:
    realm: https://127.0.0.1:$tport/token
    service: berth-test-registry
    issuer: berth-test-issuer
    rootcertbundle: $pki/token.crt"
		export "$(registry_var "$name" TOKEN_LOG)=$dir/token.log"
		;;
	*)
		echo "registry_start: unknown option $mode" >&2
		return 1
		;;
	esac

	# A port can be taken between free_port and the registry's bind: try a few.
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: berth-test-$RANDOM$RANDOM
$tls_yaml
$auth_yaml
EOF
		docker-registry serve "$dir/config.yml" </dev/null >"$dir/registry.log" 2>&1 3>&- &
		echo $! >"$dir/registry.pid"
		local up=0 _
		for _ in $(seq 200); do
			if ! kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null; then
				break
			fi
			# Any HTTP answer (200, or 401 with auth) means it serves.
			if curl -s -o /dev/null --max-time 2 --cacert "$pki/ca.crt" "${client[@]}" \
				"$scheme://127.0.0.1:$port/v2/" 2>/dev/null; then
				up=1
				break
			fi
			sleep 0.05
		done
		if [ "$up" = 1 ]; then
			export "$(registry_var "$name" ADDR)=127.0.0.1:$port"
			export "$(registry_var "$name" DIR)=$dir"
			return 0
		fi
		kill "$(cat "$dir/registry.pid")" 2>/dev/null || true
		wait "$(cat "$dir/registry.pid")" 2>/dev/null || true
		grep -q "address already in use" "$dir/registry.log" || break
	done
	echo "registry_start: docker-registry did not come up; its log:" >&2
	cat "$dir/registry.log" >&2
	return 1
}

# stop_pidfile FILE: TERM, then KILL after two seconds.
stop_pidfile() {
	local pid _
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$1"
}

registry_stop() {
	local var dir
	var=$(registry_var "$1" DIR)
	dir=${!var:-}
	[ -n "$dir" ] || return 0
	stop_pidfile "$dir/registry.pid"
	stop_pidfile "$dir/token.pid"
}

# ---------------------------------------------------------------- images

make_test_image() {
	local src=${BERTH_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
	TMPDIR=$BERTH_IT_TMP "$src/scripts/mkimage.sh" --quiet "$@"
}

make_test_archive() {
	local name=$1 ref=$2
	shift 2
	make_test_image "$BERTH_IT_TMP/$name" "$@" || return 1
	skopeo --insecure-policy copy -q "oci:$BERTH_IT_TMP/$name:latest" \
		"oci-archive:$BERTH_IT_TMP/$name.tar:$ref" || return 1
	chmod 0644 "$BERTH_IT_TMP/$name.tar"
	echo "$BERTH_IT_TMP/$name.tar"
}

make_users_layer() {
	mkdir -p "$1/etc"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'app:x:1000:1001:App:/home/app:/bin/sh' \
		'bad:x:abc:0::/:/bin/sh' >"$1/etc/passwd"
	printf '%s\n' 'root:x:0:' 'wheel:x:10:root,app' 'audio:x:29:app' 'app:x:1001:' \
		'staff:x:50:' >"$1/etc/group"
	chmod 0644 "$1/etc/passwd" "$1/etc/group"
}

push_test_image() {
	local dir=$1 ref=$2 creds=() pki
	pki=$(registry_pki) || return 1
	# A registry that asks for credentials gets the test ones (a 401 at /v2/ says so).
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$pki/ca.crt" \
		"https://${ref%%/*}/v2/" 2>/dev/null || true)
	if [ "$code" = 401 ]; then
		creds=(--dest-creds "$REGISTRY_USER:$REGISTRY_PASSWORD")
	fi
	local tls=(--dest-cert-dir "$pki/certs.d")
	# A registry that requires a client certificate (--mtls). Asked first: a TLS server
	# answers plain HTTP too (400), which would pass the check below.
	if [ "$code" = 000 ] && curl -s -o /dev/null --cacert "$pki/ca.crt" \
		--cert "$pki/client.crt" --key "$pki/client.key" "https://${ref%%/*}/v2/" 2>/dev/null; then
		tls=(--dest-cert-dir "$pki/client-certs.d")
	elif [ "$code" = 000 ] && curl -s -o /dev/null "http://${ref%%/*}/v2/" 2>/dev/null; then
		tls=(--dest-tls-verify=false)
	fi
	skopeo --insecure-policy copy --quiet "${tls[@]}" "${creds[@]}" \
		"oci:$dir:latest" "docker://$ref" 3>&-
}
