"""Data planes served beside ARM on the sandbox's HTTPS port, under `/cognitive/{account}/`.

`https://127.0.0.1:PORT/cognitive/{subdomain}` stands for `https://{subdomain}.openai.azure.com`
(and `.cognitiveservices.azure.com`): the official SDKs append their own paths
(`/openai/deployments/...`, `/openai/v1/...`, `/documentintelligence/...`).
"""

from sandbox.dataplane.routes import routes

__all__ = ["routes"]
