# Server config for berth/singleuser:latest, as docker-stacks images have it: listen on all interfaces (the hub's
# proxy reaches the container over a Docker network) on 8888, and open JupyterLab. jupyterhub-singleuser still takes
# ip/port from JUPYTERHUB_SERVICE_URL and the landing page from JUPYTERHUB_DEFAULT_URL when the spawner sets them.
# It lives in /usr/local/etc/jupyter so that a docker-stacks base keeps its own /etc/jupyter/jupyter_server_config.py.
c = get_config()  # noqa: F821
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = 8888
c.ServerApp.default_url = "/lab"
