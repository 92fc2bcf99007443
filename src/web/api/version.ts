// The JupyterHub version Berth answers as (GET /hub/api and the X-JupyterHub-Version header on every API response).
// It must be valid PEP 440: single-user servers parse it with `packaging` and die on anything else. 3.x compares
// major.minor and only warns on a mismatch; this matches the 3.x single-user images Berth is tested with.
export const HUB_API_VERSION = '3.1.1';
