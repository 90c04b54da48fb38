"""A test stand-in for cluster DNS, active only inside the hub process.

In a real cluster the hub resolves `jupyter-<user>.<namespace>.svc.cluster.local` through
kube-dns. Here the hub runs on the host, so jupyterhub_config.py installs this patch of
`socket.getaddrinfo`: every `<service>.<namespace>.svc.<domain>` name (and its short forms
`<service>`, `<service>.<namespace>`, `<service>.<namespace>.svc` for the hub namespace, as a
pod's search path would allow) maps to its own loopback address 127.X.Y.Z, where the mock
spawner runs that user's mock single-user server on the Service port. `hub` and its long forms map
to 127.0.0.1, where the hub listens.

Addresses are derived from the name and a per-run salt, so the spawner and the resolver agree
without sharing state, and two runs on one machine do not collide.
"""
import hashlib
import os
import socket

NAMESPACE = os.environ.get("HUBE2E_NAMESPACE", "jupyterhub")
CLUSTER_DOMAIN = os.environ.get("HUBE2E_CLUSTER_DOMAIN", "cluster.local")
SALT = os.environ.get("HUBE2E_RUN_ID", "")
HUB_SERVICE = "hub"

_original_getaddrinfo = socket.getaddrinfo


def service_fqdn(service, namespace=NAMESPACE):
    return f"{service}.{namespace}.svc.{CLUSTER_DOMAIN}"


def loopback_for(fqdn):
    """The loopback address standing in for a Service's cluster IP: 127.1-254.0-255.1-254."""
    if fqdn == service_fqdn(HUB_SERVICE):
        return "127.0.0.1"
    digest = hashlib.sha256(f"{SALT}/{fqdn}".encode()).digest()
    return f"127.{1 + digest[0] % 254}.{digest[1]}.{1 + digest[2] % 254}"


def _fqdn_of(name):
    """The Service FQDN a name denotes from a pod in NAMESPACE, or None for names outside the cluster."""
    name = name.lower().rstrip(".")
    suffix = f".svc.{CLUSTER_DOMAIN}"
    labels = name.split(".")
    if name.endswith(suffix):
        # <service>.<namespace>.svc.<domain>
        return name if name[: -len(suffix)].count(".") == 1 else None
    if name in ("localhost",) or not name or any(not part for part in labels):
        return None
    if len(labels) == 1 and name == HUB_SERVICE:
        return service_fqdn(name)
    if len(labels) == 2 and labels[1] == NAMESPACE:
        return service_fqdn(labels[0])
    if len(labels) == 3 and labels[1] == NAMESPACE and labels[2] == "svc":
        return service_fqdn(labels[0])
    return None


def _patched_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    name = host.decode("idna") if isinstance(host, bytes) else host
    if isinstance(name, str):
        fqdn = _fqdn_of(name)
        if fqdn is not None:
            return _original_getaddrinfo(loopback_for(fqdn), port, socket.AF_INET, type, proto, flags)
    return _original_getaddrinfo(host, port, family, type, proto, flags)


def install():
    socket.getaddrinfo = _patched_getaddrinfo
