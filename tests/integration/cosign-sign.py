#!/usr/bin/python3
"""Signs an image in a registry the way `cosign sign --key` does, independently of berth, for
the tests (Debian has no cosign, and its skopeo cannot make sigstore signatures): builds the
cosign payload JSON, signs it (an encrypted cosign key from cosign-keygen.py: ECDSA P-256 over
SHA-256; or an unencrypted PKCS#8 PEM Ed25519 key from openssl), and pushes, through the
registry API, the payload as a blob and an OCI image manifest whose one layer carries the
signature annotation, under the tag "sha256-<hex>.sig" of the signed manifest's digest.

usage: cosign-sign.py KEY PASSPHRASE CA-CERT REGISTRY REPOSITORY DIGEST IDENTITY [OPTIONS]
  KEY         cosign-keygen.py's PREFIX.key, or a PEM PKCS#8 Ed25519 key (PASSPHRASE unused)
  DIGEST      the digest of the manifest signed (the tag is made from it)
  IDENTITY    the docker-reference the payload names
options:
  --payload-digest D   the digest the payload names (default DIGEST)
  --tamper             change the payload after signing it
  --no-signature       leave the signature annotation out
  --extra-annotations  add a certificate and a bundle annotation (ignored with keys)"""
import base64
import hashlib
import json
import ssl
import sys
import urllib.request

import nacl.secret
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

SIG_MIME = "application/vnd.dev.cosign.simplesigning.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


def load_key(path, passphrase):
    text = open(path, "rb").read()
    marker = b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"
    if not text.startswith(marker):
        return serialization.load_pem_private_key(text, password=None)
    body = text.split(b"\n", 1)[1].rsplit(b"-----END", 1)[0]
    doc = json.loads(base64.b64decode(body))
    p = doc["kdf"]["params"]
    box_key = hashlib.scrypt(passphrase.encode(), salt=base64.b64decode(doc["kdf"]["salt"]),
                             n=p["N"], r=p["r"], p=p["p"], maxmem=64 * 1024 * 1024, dklen=32)
    der = nacl.secret.SecretBox(box_key).decrypt(base64.b64decode(doc["ciphertext"]),
                                                 base64.b64decode(doc["cipher"]["nonce"]))
    return serialization.load_der_private_key(der, password=None)


def sign(key, payload):
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(payload, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(payload)
    sys.exit("cosign-sign.py: unsupported key type")


class Registry:
    def __init__(self, host, cafile):
        self.base = "https://" + host
        self.ctx = ssl.create_default_context(cafile=cafile)

    def call(self, method, path, data=None, headers=None):
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        return urllib.request.urlopen(req, context=self.ctx)

    def put_blob(self, repo, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        loc = self.call("POST", "/v2/%s/blobs/uploads/" % repo).headers["Location"]
        if loc.startswith("/"):
            loc = self.base + loc
        sep = "&" if "?" in loc else "?"
        self.call("PUT", loc + sep + "digest=" + digest, data,
                  {"Content-Type": "application/octet-stream"})
        return {"digest": digest, "size": len(data)}


def main():
    args = sys.argv[1:]
    opts = [a for a in args if a.startswith("--")]
    pos = [a for a in args if not a.startswith("--")]
    payload_digest = None
    if "--payload-digest" in args:
        i = args.index("--payload-digest")
        payload_digest = args[i + 1]
        pos.remove(payload_digest)
    if len(pos) != 7:
        sys.exit(__doc__)
    keypath, passphrase, cafile, host, repo, digest, identity = pos
    payload = json.dumps({"critical": {"identity": {"docker-reference": identity},
                                       "image": {"docker-manifest-digest":
                                                 payload_digest or digest},
                                       "type": "cosign container image signature"},
                          "optional": None}, separators=(",", ":")).encode()
    signature = base64.b64encode(sign(load_key(keypath, passphrase), payload)).decode()
    if "--tamper" in opts:
        payload = payload.replace(b'"optional":null', b'"optional":{}')
    reg = Registry(host, cafile)
    layer = reg.put_blob(repo, payload)
    layer["mediaType"] = SIG_MIME
    ann = {}
    if "--no-signature" not in opts:
        ann["dev.cosignproject.cosign/signature"] = signature
    if "--extra-annotations" in opts:
        ann["dev.sigstore.cosign/certificate"] = "-----BEGIN CERTIFICATE-----\nnot one\n"
        ann["dev.sigstore.cosign/bundle"] = "{}"
    layer["annotations"] = ann
    config = reg.put_blob(repo, b'{"architecture":"","os":"","config":{},"rootfs":'
                                b'{"type":"layers","diff_ids":[]}}')
    config["mediaType"] = OCI_CONFIG
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config,
                           "layers": [layer]}).encode()
    tag = digest.replace(":", "-", 1) + ".sig"
    reg.call("PUT", "/v2/%s/manifests/%s" % (repo, tag), manifest,
             {"Content-Type": OCI_MANIFEST})


if __name__ == "__main__":
    main()
