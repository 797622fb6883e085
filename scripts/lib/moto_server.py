"""moto's server with one emulation bug fixed, for the rotation tests.

moto 5.2.5's `UpdateSecretVersionStage` moves the AWSCURRENT label but leaves the secret's
`default_version_id` behind, so a `GetSecretValue` without `VersionStage` (which is what
Airflow's SecretsManagerBackend sends) keeps returning the old version. Real Secrets Manager
returns the AWSCURRENT version ("If you don't specify either a VersionStage or VersionId,
Secrets Manager returns the AWSCURRENT version"). This wrapper makes moto do the same, and
changes nothing else:

    python scripts/lib/moto_server.py -H 127.0.0.1 -p PORT
"""

import sys

from moto.secretsmanager.models import SecretsManagerBackend

_update = SecretsManagerBackend.update_secret_version_stage


def update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id):
    result = _update(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
    if version_stage == "AWSCURRENT" and move_to_version_id:
        self.secrets[secret_id].default_version_id = move_to_version_id
    return result


SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
