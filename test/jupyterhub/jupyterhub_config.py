# JupyterHub 3.0 configured as on z2jh with an external proxy, with hubmesh in CHP's place.
# Every value comes from the environment that test/jupyterhub/hub-process.ts sets.
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

# The hub must use Tornado's own HTTP client: pycurl resolves names itself, past the DNS stand-in.
sys.modules["pycurl"] = None

import cluster_dns  # noqa: E402
from k8s_mock_spawner import K8sMockSpawner  # noqa: E402

cluster_dns.install()

env = os.environ
state_dir = env["HUBE2E_STATE_DIR"]
hub_port = int(env["HUBE2E_HUB_PORT"])
c = get_config()  # noqa: F821

# the public side is the mesh's gateway, never bound by the hub; the hub API listens on loopback
c.JupyterHub.bind_url = f"http://127.0.0.1:{env['HUBE2E_PUBLIC_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{hub_port}"
# as z2jh: the proxy routes / to the hub's Service, not to an IP
c.JupyterHub.hub_connect_url = f"http://{cluster_dns.HUB_SERVICE}:{hub_port}"

# a base URL puts the hub's own route at it (hub_routespec defaults to base_url without subdomains)
c.JupyterHub.base_url = env.get("HUBE2E_BASE_URL", "/")
c.JupyterHub.allow_named_servers = True

c.JupyterHub.proxy_class = "configurable-http-proxy"
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = env["HUBE2E_PROXY_URL"]
c.ConfigurableHTTPProxy.auth_token = env["HUBE2E_PROXY_TOKEN"]
c.ConfigurableHTTPProxy.pid_file = os.path.join(state_dir, "proxy.pid")

c.JupyterHub.db_url = "sqlite:///" + os.path.join(state_dir, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state_dir, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(state_dir, "jupyterhub.pid")

c.JupyterHub.authenticator_class = "dummy"
# the test drives the hub's REST API as the admin service e2e
c.JupyterHub.services = [{"name": "e2e", "api_token": env["HUBE2E_API_TOKEN"]}] + json.loads(env.get("HUBE2E_EXTRA_SERVICES", "[]"))
c.JupyterHub.load_roles = [{"name": "admin", "users": ["admin"], "services": ["e2e"]}] + json.loads(env.get("HUBE2E_EXTRA_ROLES", "[]"))

c.JupyterHub.spawner_class = K8sMockSpawner
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 30

c.JupyterHub.log_level = env.get("HUBE2E_LOG_LEVEL", "DEBUG")
# how often the hub reads last_activity from the proxy's routes (JupyterHub's default is 300 s)
c.JupyterHub.last_activity_interval = int(env.get("HUBE2E_LAST_ACTIVITY_INTERVAL", "300"))
