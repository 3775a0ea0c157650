"""The one place that touches openbadgeslib (LGPL-3.0, young): Ed25519 keys, did:key, the
eddsa-rdfc-2022 Data Integrity proof and the Bitstring Status List encoding. Everything else
in the app is plain JSON."""

from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openbadgeslib.ob3.did import did_key_from_pem
from openbadgeslib.ob3.ldp import add_data_integrity_proof
from openbadgeslib.ob3.status_list import DEFAULT_SIZE_BITS, encode_bitstring

STATUS_LIST_BITS = DEFAULT_SIZE_BITS  # 131,072: the specification's minimum, 16 KiB


def new_key() -> tuple[str, str]:
    """A fresh Ed25519 key: (its PKCS#8 PEM, its did:key)."""
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, did_key_from_pem(public_pem)


def sign(document: dict, *, private_key_pem: str, verification_method: str, created: datetime):
    """`document` with an eddsa-rdfc-2022 DataIntegrityProof. Contexts come from the library's
    pinned copies, never the network; a member no context defines is refused, not left
    unsigned. Ed25519 is deterministic: the same document, key and time sign the same."""
    return add_data_integrity_proof(
        document, private_key_pem.encode(), verification_method, created=created
    )


def encoded_list(set_bits) -> str:
    """A status list's `encodedList`: the bitstring, gzipped, multibase base64url."""
    return encode_bitstring(set_bits, STATUS_LIST_BITS)
