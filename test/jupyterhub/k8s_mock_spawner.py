"""A spawner that does in the test cluster what KubeSpawner does, minus real containers.

start() creates the user's Pod (scheduled on the kwok node, which marks it Running) and a Service
`jupyter-<escaped user>` with port 8888 named `http`, as KubeSpawner with services_enabled does,
then runs JupyterHub's own mock single-user server (jupyterhub.tests.mocksu) on the loopback
address that cluster_dns gives that Service, port 8888. It returns the Service URL, so the hub
POSTs `http://jupyter-<escaped>.<namespace>.svc.cluster.local:8888` to the proxy, as on z2jh.
stop() ends the mock server and deletes the Pod and the Service; poll() reports the mock server's
liveness.

Configured through the environment (set by test/jupyterhub/hub-process.ts):
HUBE2E_KUBECTL, HUBE2E_KUBECONFIG, HUBE2E_NAMESPACE, HUBE2E_RUN_ID (a label on every object,
for cleanup), HUBE2E_STATE_DIR (mock servers' pid files and logs).
"""
import asyncio
import hashlib
import json
import os
import string
import subprocess
import sys

from jupyterhub.spawner import Spawner
from traitlets import Unicode

import cluster_dns

RUN_LABEL = "e2e.hubmesh.io/run"
SERVICE_PORT = 8888
_SAFE = set(string.ascii_lowercase + string.digits)


def escape(name):
    """kubespawner's (escapism) scheme: lower-case letters and digits stay, every other byte is -xx."""
    return "".join(ch if ch in _SAFE else "".join(f"-{b:02x}" for b in ch.encode("utf-8")) for ch in name)


def dns_label(value):
    """At most 63 characters; a hash keeps long names unique."""
    if len(value) <= 63:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    return f"{value[:54].rstrip('-')}-{digest}"


def label_value(value):
    """A valid label value: must start and end with an alphanumeric character."""
    value = dns_label(value if value[:1].isalnum() else f"x{value}")
    return value.rstrip("-_.")


class K8sMockSpawner(Spawner):
    kubectl = Unicode(os.environ.get("HUBE2E_KUBECTL", "kubectl"), config=True)
    kubeconfig = Unicode(os.environ.get("HUBE2E_KUBECONFIG", ""), config=True)
    namespace = Unicode(os.environ.get("HUBE2E_NAMESPACE", "jupyterhub"), config=True)
    run_id = Unicode(os.environ.get("HUBE2E_RUN_ID", "none"), config=True)
    state_dir = Unicode(os.environ.get("HUBE2E_STATE_DIR", "."), config=True)

    _proc = None

    @property
    def escaped(self):
        name = escape(self.user.name)
        return f"{name}--{escape(self.name)}" if self.name else name

    @property
    def object_name(self):
        return dns_label(f"jupyter-{self.escaped}")

    @property
    def service_host(self):
        return cluster_dns.service_fqdn(self.object_name, self.namespace)

    def _labels(self):
        return {
            "component": "singleuser-server",
            "app": "jupyterhub",
            "hub.jupyter.org/username": label_value(escape(self.user.name)),
            "hub.jupyter.org/servername": label_value(escape(self.name)) if self.name else "",
            RUN_LABEL: self.run_id,
        }

    def _manifests(self):
        labels = self._labels()
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": self.object_name,
                "labels": labels,
                "annotations": {"hub.jupyter.org/username": self.user.name},
            },
            "spec": {
                "containers": [
                    {
                        "name": "notebook",
                        "image": "quay.io/jupyter/base-notebook:2026-11-01",
                        "ports": [{"name": "notebook-port", "containerPort": SERVICE_PORT}],
                    }
                ],
                "nodeSelector": {"type": "kwok"},
                "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}],
            },
        }
        selector = {k: labels[k] for k in ("component", "hub.jupyter.org/username", "hub.jupyter.org/servername")}
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": self.object_name, "labels": labels},
            "spec": {
                "selector": selector,
                "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "notebook-port"}],
            },
        }
        return {"apiVersion": "v1", "kind": "List", "items": [pod, service]}

    async def _kubectl(self, *args, stdin=None):
        argv = [self.kubectl, "--kubeconfig", self.kubeconfig, "--namespace", self.namespace, *args]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate(stdin.encode() if stdin is not None else None)
        if proc.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {err.decode().strip()}")
        return out.decode()

    def _pid_file(self, pid):
        return os.path.join(self.state_dir, "mock-servers", f"{pid}.pid")

    async def start(self):
        name = self.object_name
        await self._kubectl("apply", "-f", "-", stdin=json.dumps(self._manifests()))
        await self._kubectl("wait", "--for=condition=Ready", f"pod/{name}", "--timeout=30s")

        # mocksu listens where JUPYTERHUB_SERVICE_URL (built from self.ip and self.port) says
        self.ip = cluster_dns.loopback_for(self.service_host)
        self.port = SERVICE_PORT
        env = self.get_env()
        os.makedirs(os.path.join(self.state_dir, "mock-servers"), exist_ok=True)
        log = open(os.path.join(self.state_dir, f"mocksu-{name}.log"), "ab")
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub.tests.mocksu"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        with open(self._pid_file(self._proc.pid), "w") as f:
            f.write(str(self._proc.pid))
        self.log.info("mock server for %s: pid %s on %s:%s, pod and service %s", self.user.name, self._proc.pid, self.ip, self.port, name)
        return f"http://{self.service_host}:{SERVICE_PORT}"

    async def poll(self):
        if self._proc is None:
            return 0
        return self._proc.poll()

    async def stop(self, now=False):
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                for _ in range(50):
                    if proc.poll() is not None:
                        break
                    await asyncio.sleep(0.1)
                else:
                    proc.kill()
                    proc.wait()
            try:
                os.unlink(self._pid_file(proc.pid))
            except FileNotFoundError:
                pass
        name = self.object_name
        await self._kubectl("delete", f"pod/{name}", f"service/{name}", "--ignore-not-found", "--wait=false")
