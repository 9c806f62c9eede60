"""The ML workspace's storage account: facts the program, the policy and drift all read."""

from __future__ import annotations

SKU = "Standard_LRS"
KIND = "StorageV2"
# learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version
MINIMUM_TLS = "TLS1_2"
