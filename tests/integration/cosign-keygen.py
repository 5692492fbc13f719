#!/usr/bin/python3
"""Makes a sigstore (cosign) key pair for the tests, as `cosign generate-key-pair` would:
PREFIX.pub, a PEM SubjectPublicKeyInfo of an ECDSA P-256 key, and PREFIX.key, its PKCS#8 DER
encrypted under PASSPHRASE (scrypt N=32768 r=8 p=1 -> 32-byte key, NaCl secretbox), as the JSON
document of the "ENCRYPTED SIGSTORE PRIVATE KEY" PEM block that Podman's
--sign-by-sigstore-private-key reads. Debian has no cosign, and its skopeo has sigstore signing
disabled, so the tests make their keys here (python3-cryptography, python3-nacl).

usage: cosign-keygen.py PREFIX PASSPHRASE"""
import base64
import hashlib
import json
import os
import sys

import nacl.secret
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.rsplit("\n", 1)[-1])
    prefix, passphrase = sys.argv[1], sys.argv[2].encode()
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt, nonce = os.urandom(32), os.urandom(24)
    box_key = hashlib.scrypt(passphrase, salt=salt, n=32768, r=8, p=1,
                             maxmem=64 * 1024 * 1024, dklen=32)
    sealed = nacl.secret.SecretBox(box_key).encrypt(der, nonce).ciphertext
    b64 = lambda b: base64.b64encode(b).decode()
    doc = {"kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": b64(salt)},
           "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)},
           "ciphertext": b64(sealed)}
    body = base64.encodebytes(json.dumps(doc).encode()).decode()
    old = os.umask(0o077)
    with open(prefix + ".key", "w") as f:
        f.write("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + body +
                "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    os.umask(old)
    with open(prefix + ".pub", "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


main()
