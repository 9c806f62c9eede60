"""Document Intelligence `prebuilt-layout` through the unmodified azure-ai-documentintelligence SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.ai.documentintelligence import DocumentIntelligenceClient
from azure.ai.documentintelligence.models import AnalyzeDocumentRequest, DocumentContentFormat
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import Sandbox

CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"


def provision(sb: Sandbox, sku: str = "S0", **props: Any) -> Any:
    assert sb.connection is not None
    sb.connection.client(ResourceManagementClient).resource_groups.create_or_update(
        "rg", {"location": "eastus"}
    )
    cog = sb.connection.client(CognitiveServicesManagementClient)
    body = {
        "location": "eastus",
        "kind": "FormRecognizer",
        "sku": {"name": sku},
        "properties": {"customSubDomainName": "ragdocs", **props},
    }
    return cog.accounts.begin_create("rg", "ragdocs", body).result()


def client(sb: Sandbox, credential: Any) -> DocumentIntelligenceClient:
    assert sb.connection is not None
    return DocumentIntelligenceClient(
        f"{sb.connection.endpoint}/cognitive/ragdocs",
        credential,
        connection_verify=sb.connection.ca_path,
        polling_interval=0,
    )


def reader(sb: Sandbox, *roles: str) -> Any:
    assert sb.connection is not None
    account_id = sb.connection.client(CognitiveServicesManagementClient).accounts.get("rg", "ragdocs").id
    sp = sb.register_principal(client_id="21111111-2222-3333-4444-555555555555", secret="s3cret")
    for role in roles:
        sb.grant(sp["objectId"], role, scope=account_id)
    sb.advance(301)
    return sb.connection.credential("21111111-2222-3333-4444-555555555555", "s3cret")


def key(sb: Sandbox) -> AzureKeyCredential:
    assert sb.connection is not None
    keys = sb.connection.client(CognitiveServicesManagementClient).accounts.list_keys("rg", "ragdocs")
    return AzureKeyCredential(keys.key1)


def analyze(di: DocumentIntelligenceClient, name: str, *, as_bytes: bool = True) -> Any:
    data = (CORPUS / name).read_bytes()
    body: Any = data if as_bytes else AnalyzeDocumentRequest(bytes_source=data)
    poller = di.begin_analyze_document(
        "prebuilt-layout", body, output_content_format=DocumentContentFormat.MARKDOWN
    )
    return poller.result()


@pytest.mark.parametrize(
    ("name", "pages", "title", "heading"),
    [
        ("handbook.pdf", 3, "Employee Handbook", "Remote work"),
        ("benefits.docx", 1, "Benefits Guide", "Retirement"),
        ("onboarding.html", 1, "Onboarding Checklist", "First week"),
        ("security-policy.md", 1, "Security Policy", "Laptops"),
    ],
)
def test_layout_returns_markdown_pages_and_heading_roles(
    sandbox: Sandbox, name: str, pages: int, title: str, heading: str
) -> None:
    provision(sandbox)
    result = analyze(client(sandbox, reader(sandbox, "Cognitive Services User")), name)
    assert result.content_format == "markdown" and result.model_id == "prebuilt-layout"
    assert f"# {title}\n" in result.content and f"## {heading}\n" in result.content
    assert len(result.pages) == pages and [p.page_number for p in result.pages] == list(range(1, pages + 1))
    roles = {(p.role, p.content) for p in result.paragraphs if p.role}
    assert ("title", title) in roles and ("sectionHeading", heading) in roles
    for para in result.paragraphs:
        span = para.spans[0]
        assert para.content in result.content[span.offset : span.offset + span.length]
    words = [w for p in result.pages for w in p.words or []]
    assert words and all(
        result.content[w.span.offset : w.span.offset + w.span.length] == w.content for w in words
    )


def test_base64_source_and_keys_work_and_f0_analyzes_two_pages(sandbox: Sandbox) -> None:
    provision(sandbox, sku="F0")
    result = analyze(client(sandbox, key(sandbox)), "handbook.pdf", as_bytes=False)
    assert [p.page_number for p in result.pages] == [1, 2]
    assert "Remote work" in result.content and "Expenses" not in result.content


def test_corrupt_file_is_invalid_content(sandbox: Sandbox) -> None:
    provision(sandbox)
    di = client(sandbox, key(sandbox))
    with pytest.raises(HttpResponseError, match="corrupted or format is unsupported"):
        di.begin_analyze_document("prebuilt-layout", b"%PDF-1.7 garbage", content_type="application/pdf")


def test_unknown_model_is_not_found(sandbox: Sandbox) -> None:
    provision(sandbox)
    with pytest.raises(ResourceNotFoundError, match="ModelNotFound"):
        client(sandbox, key(sandbox)).begin_analyze_document("prebuilt-nope", b"hello")


def test_openai_user_alone_may_not_analyze(sandbox: Sandbox) -> None:
    provision(sandbox)
    di = client(sandbox, reader(sandbox, "Cognitive Services OpenAI User"))
    with pytest.raises(ClientAuthenticationError, match="FormRecognizer/documentmodels:analyze/action"):
        analyze(di, "security-policy.md")


def test_keys_refused_when_local_auth_disabled(sandbox: Sandbox) -> None:
    provision(sandbox, disableLocalAuth=True)
    assert sandbox.state is not None
    account = next(iter(sandbox.state.store.find(type="Microsoft.CognitiveServices/accounts")))
    di = client(sandbox, AzureKeyCredential(account["keys"]["key1"]))
    with pytest.raises(HttpResponseError, match="Key based authentication is disabled") as err:
        analyze(di, "security-policy.md")
    assert err.value.status_code == 403
