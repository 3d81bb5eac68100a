"""CI jobs that authenticate to Google Cloud with their ID token through a credential
configuration: ``gcloud iam workload-identity-pools create-cred-config <AUDIENCE>
--service-account=<email> --credential-source-file=<token file> --output-file=<file>``.

``AUDIENCE`` is the workload identity pool provider's resource name
(``projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>``);
with ``--service-account`` the credentials impersonate that service account, without it
they are the federated identity itself (docs/facts.md, "Google Cloud workload identity
federation", GC18).
https://cloud.google.com/sdk/gcloud/reference/iam/workload-identity-pools/create-cred-config
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from oidclint.readers.workloads.ci_files import unquoted

_COMMAND = re.compile(r"\bgcloud\s+(?:(?:alpha|beta)\s+)?iam\s+workload-identity-pools\s+"
                      r"create-cred-config\b")
_WORD = re.compile(r"""(?:"[^"]*"|'[^']*'|[^\s;&|])+""")
_END = re.compile(r"[;&|]")
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)(?:=(.*))?$", re.S)
_VALUED = frozenset({"service-account", "credential-source-file", "output-file",
                     "credential-source-type", "credential-source-field-name",
                     "credential-source-url", "subject-token-type", "app-id-uri",
                     "service-account-token-lifetime-seconds", "sts-location",
                     "executable-command", "executable-output-file",
                     "executable-timeout-millis", "credential-source-headers",
                     "credential-cert-path", "credential-cert-private-key-path",
                     "credential-cert-configuration-output-file",
                     "credential-cert-trust-chain-path", "configuration", "project",
                     "account", "billing-project", "impersonate-service-account",
                     "verbosity", "format", "flags-file", "flatten", "trace-token"})
"""Flags that take a value: a value written after a space is not the provider."""


@dataclass(frozen=True, slots=True)
class CredentialConfig:
    """What one command says: the provider and the service account (None when the
    credentials are the federated identity itself), each with where its text starts."""

    provider: tuple[str, int]
    service_account: tuple[str, int] | None


def credential_configs(line: str) -> Iterable[CredentialConfig]:
    """The ``create-cred-config`` commands on one line of a script."""
    for command in _COMMAND.finditer(line):
        stop = _END.search(line, command.end())
        words = list(_WORD.finditer(line, command.end(), stop.start() if stop else len(line)))
        provider = account = None
        index = 0
        while index < len(words):
            word = words[index]
            flag = _FLAG.match(word.group())
            if flag is None:
                if provider is None:
                    provider = _value(word.group(), word.start())
                index += 1
                continue
            name, value = flag[1], flag[2]
            start = word.start() + len(name) + 3
            if value is None and name in _VALUED and index + 1 < len(words):
                index += 1
                value, start = words[index].group(), words[index].start()
            if name == "service-account" and value is not None:
                account = _value(value, start)
            index += 1
        if provider is not None:
            yield CredentialConfig(provider, account)


def _value(raw: str, start: int) -> tuple[str, int]:
    value = unquoted(raw)
    return value, start + (1 if value != raw else 0)
