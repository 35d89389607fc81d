"""Length and format limits of free-text fields, written once for the client and the sandbox.

The contract sheet gives no lengths, so these follow the storage services' own rules (AWS, Azure,
Google) or a documented sane cap. The client refuses a value before sending it; the sandbox refuses
the same value on the wire, as CloudWorks would. Depends on nothing, so both sides may import it.
"""

from __future__ import annotations

import re
from typing import Final

NAME_MAX: Final = 255  # names of connections, integrations, flows, schedules (sane cap)
PATH_MAX: Final = 1024  # an S3 object key and an Azure blob name are at most 1,024 characters
TEXT_MAX: Final = 1024  # any other plain field: ids, e-mails, URLs, tables, datasets
ACCESS_KEY_MAX: Final = 128  # AWS access key ids
ROLE_ARN_MAX: Final = 2048  # IAM ARNs
COLUMN_MAX: Final = 300  # BigQuery column names
SECRET_MAX: Final = 8192  # secrets: a 4096-bit PEM key is about 3,300 characters

# S3 general-purpose buckets: 3-63 lowercase letters, digits, dots, hyphens; a letter or digit at
# each end; no two dots in a row.
S3_BUCKET: Final = re.compile(r"^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
S3_BUCKET_RULE: Final = "expected 3-63 lowercase letters, digits, dots and hyphens"
# Azure storage accounts: 3-24 lowercase letters and digits.
AZURE_ACCOUNT: Final = re.compile(r"^[a-z0-9]{3,24}$")
AZURE_ACCOUNT_RULE: Final = "expected 3-24 lowercase letters and digits"
# Azure containers: 3-63 lowercase letters, digits, hyphens; a letter or digit at each end; no
# two hyphens in a row.
AZURE_CONTAINER: Final = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
AZURE_CONTAINER_RULE: Final = "expected 3-63 lowercase letters, digits and hyphens"
# BigQuery datasets: 1-1,024 letters, digits and underscores.
BQ_DATASET: Final = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
BQ_DATASET_RULE: Final = "expected 1-1024 letters, digits and underscores"
# BigQuery tables: 1-1,024 letters, digits, underscores, hyphens and spaces (Google also admits
# other Unicode letters and marks, which \w covers for letters).
BQ_TABLE: Final = re.compile(r"^[\w\- ]{1,1024}$")
BQ_TABLE_RULE: Final = "expected 1-1024 letters, digits, underscores, hyphens and spaces"
