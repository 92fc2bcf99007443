# System-wide notebook config for berth/singleuser:test, like jupyter/docker-stacks:
# listen on all interfaces (the hub's proxy reaches the container over a Docker
# network), port 8888. jupyterhub-singleuser still takes
# ip/port from JUPYTERHUB_SERVICE_URL when the spawner sets it.
c = get_config()  # noqa: F821
c.NotebookApp.ip = "0.0.0.0"
c.NotebookApp.port = 8888
