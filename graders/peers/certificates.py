"""TLS for the graders' servers: a certificate authority made per session with trustme.

The student's program trusts the CA through ``SSL_CERT_FILE`` (which
``ssl.create_default_context()`` honours), so a client that verifies
certificates the standard way succeeds, and one facing a certificate from
another CA, or for another name, must refuse it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # the trusted CA, PEM: hand it to programs as SSL_CERT_FILE
    trusted: ssl.SSLContext  # a server certificate for localhost and 127.0.0.1, from the trusted CA
    untrusted: ssl.SSLContext  # the same names, from a CA nobody trusts
    wrong_name: ssl.SSLContext  # from the trusted CA, for another host name only

    @property
    def env(self) -> dict[str, str]:
        return {"SSL_CERT_FILE": str(self.ca_file)}

    def client_context(self) -> ssl.SSLContext:
        """What the graders' own clients trust: this CA only."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_certificates(directory: Path, names: list[str] | tuple[str, ...] = ()) -> Certificates:
    """The CA and the three server certificates; ``names``: more names (a course's server) the
    good ones are for."""
    trusted_ca, stranger_ca = trustme.CA(), trustme.CA()
    ca_file = directory / "netlab-ca.pem"
    trusted_ca.cert_pem.write_to_path(str(ca_file))
    identities = list(dict.fromkeys([*NAMES, *names]))
    return Certificates(
        ca_file,
        _server_context(trusted_ca.issue_cert(*identities)),
        _server_context(stranger_ca.issue_cert(*identities)),
        _server_context(trusted_ca.issue_cert("wrong-name.netlab.test")),
    )


def _server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context
