"""Fixed identities of the one sandbox cloud; importing this module costs nothing."""

from __future__ import annotations

SANDBOX_SUBSCRIPTION_ID = "00000000-0000-4000-a000-000000000001"
SANDBOX_TENANT_ID = "00000000-0000-4000-a000-0000000000aa"
SANDBOX_SUBSCRIPTION_NAME = "ragstack-sandbox"

# The service principal the sandbox's own credential signs in as (seeded on every fresh state).
OPERATOR_CLIENT_ID = "00000000-0000-4000-a000-0000000000c1"
OPERATOR_OBJECT_ID = "00000000-0000-4000-a000-0000000000d1"
OPERATOR_SECRET = "sandbox"  # not a secret: the sandbox binds 127.0.0.1 only

# Real ARM audiences, as published by management.azure.com/metadata/endpoints.
ARM_AUDIENCES = ("https://management.core.windows.net/", "https://management.azure.com/")
ARM_SCOPE = "https://management.azure.com/.default"

DEFAULT_LOCATION = "eastus"
LOCATIONS = ("eastus", "eastus2", "westus", "westus2", "westeurope", "northeurope", "swedencentral")

STATE_DIR_ENV = "RAGSTACK_SANDBOX_HOME"

# The admin API (`/_sandbox/...`) answers only callers that send the key kept in the state dir.
ADMIN_KEY_FILE = "admin-key"
ADMIN_KEY_HEADER = "X-Sandbox-Admin-Key"

# Files of one running server in its state dir: its connection document, log and port.
CONNECTION_FILE = "sandbox.json"
LOG_FILE = "server.log"
PORT_FILE = "port"
