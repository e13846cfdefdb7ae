"""Form checks of the CMS that pyHanko does not make (pure, asn1crypto only)."""

from __future__ import annotations

from asn1crypto import cms


def signed_attributes_not_der(signer_info: cms.SignerInfo) -> bool:
    """Whether the signed attributes are not DER-encoded as found in the file: the elements
    of their SET OF are not in ascending order of their encodings (X.690 11.6).

    RFC 5652 5.4: the signature value is computed over the DER encoding of SignedAttributes,
    so a verifier re-encoding them (as DSS and the ETSI plugtests "HASH_FAILURE" do) gets
    another digest and the signature value does not verify over it. False when there are
    no signed attributes or they cannot be read (other checks report that)."""
    try:
        attrs = signer_info["signed_attrs"]
        if not attrs:
            return False
        found = [a.dump() for a in attrs]
    except (ValueError, KeyError, TypeError):
        return False
    # Only the order: DEFAULT values written out (common, e.g. an explicit SHA-256 in
    # ESSCertIDv2) are tolerated by every verifier and are not what the plugtest tests.
    return found != sorted(found)
