"""Managed identity facts.

User-assigned identity names: 3-128 characters, letters, digits, hyphens and underscores,
starting with a letter or digit (learn.microsoft.com azure-resource-manager/management/
resource-name-rules#microsoftmanagedidentity; MicrosoftDocs/azure-docs#26895 on '_' and '-').
"""

from __future__ import annotations

IDENTITY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$"
