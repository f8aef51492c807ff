"""stax.toml parsing: values reach Settings, mistakes name the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runner.config import (
    ConnectionSettings,
    ExecutorSettings,
    ServicesSettings,
    StoreSettings,
    StreamSettings,
    load_settings,
)
from runner.engine.runs_on import required_labels
from runner.errors import ConfigError

if TYPE_CHECKING:
    from runner.config import Settings


def settings_from(tmp_path: Path, text: str) -> Settings:
    (tmp_path / "stax.toml").write_text(text)
    return load_settings(start=tmp_path)


def test_tables_override_only_the_keys_they_name(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        "port = 0\n[connections]\nbody_timeout_seconds = 5\n[streams]\nping_seconds = 2.5\n"
        "[store]\nfile_check_seconds = 1\n",
    )
    assert settings.store == StoreSettings(file_check_seconds=1.0)
    assert settings.connections == ConnectionSettings(body_timeout_seconds=5.0)
    assert settings.streams == StreamSettings(ping_seconds=2.5)
    assert isinstance(settings.connections.body_timeout_seconds, float)


def test_the_services_table(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, '[services]\nlocal = "always"\ncache_size_mb = 512\n')
    assert settings.services == ServicesSettings(local="always", cache_size_mb=512.0)
    assert settings_from(tmp_path, "").services == ServicesSettings()


def test_the_executor_table(tmp_path: Path) -> None:
    assert settings_from(tmp_path, "").executor == ExecutorSettings()
    settings = settings_from(
        tmp_path, '[executor]\nkind = "ray"\naddress = "127.0.0.1:6379"\nplacement_timeout_s = 5\n'
    )
    assert settings.executor == ExecutorSettings(
        kind="ray", address="127.0.0.1:6379", placement_timeout_s=5.0
    )


def test_runs_on_labels_a_node_must_offer_by_name(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, '[labels]\ngpu-box = "host"\n')
    runs_on = ["self-hosted", "ubuntu-latest", "GPU", "gpu-box", "gpu"]
    assert required_labels(runs_on, settings) == ["gpu"]


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, 'data_dir = "state"\nworkflow_dirs = ["ci"]\n')
    assert settings.data_dir == tmp_path.resolve() / "state"
    assert settings.workflow_dirs == (tmp_path.resolve() / "ci",)


def test_the_actions_table(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        '[actions]\nserver = "https://ghe.example/"\nnode = "/opt/node20/bin/node"\n'
        'node24 = "/opt/node24/bin/node"\noffline_mode = true\n'
        '[actions.local_repositories]\n"actions/checkout@v4" = "../checkout"\n'
        '"https://ghe.example/octo/act@main" = "/src/act"\n',
    )
    actions = settings.actions
    assert actions.server == "https://ghe.example"
    assert actions.node == "/opt/node20/bin/node"
    assert actions.runtimes == {"node24": "/opt/node24/bin/node"}
    assert actions.offline_mode is True
    assert actions.local_repositories == {
        "actions/checkout@v4": tmp_path.resolve() / "../checkout",
        "https://ghe.example/octo/act@main": Path("/src/act"),
    }


def test_engine_process_true_is_still_accepted_and_no_longer_offered(tmp_path: Path) -> None:
    settings_from(tmp_path, "engine_process = true\n")
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, "prot = 1\n")
    assert "engine_process" not in str(caught.value).partition("allowed:")[2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[actions]\nsevrer = 1\n", "actions.sevrer: unknown setting (allowed: server, node, "),
        ("[actions]\noffline_mode = 1\n", "actions.offline_mode: expected true or false"),
        ('[actions]\nnode = ""\n', "actions.node: expected a command name or a path"),
        ('[actions]\nnode24 = " "\n', "actions.node24: expected a command name or a path"),
        ("[actions]\nnode22 = 1\n", "actions.node22: unknown setting"),
        (
            '[actions.local_repositories]\n"checkout@v4" = "/x"\n',
            "actions.local_repositories.checkout@v4: 'checkout@v4': expected OWNER/REPO@REF",
        ),
        ('[actions.local_repositories]\n"a/b@v1" = 3\n', "expected the path of a folder"),
        ("prot = 1\n", "prot: unknown setting (allowed: "),
        ('port = "80"\n', "port: expected an integer, got str"),
        ("port = 70000\n", "port: must be between 0 and 65535"),
        ("allow_remote = 1\n", "allow_remote: expected true or false, got int"),
        ("[connections]\nidle = 3\n", "connections.idle: unknown setting (allowed: "),
        ("[connections]\nbody_timeout_seconds = 0\n", "connections.body_timeout_seconds: "),
        ("[connections]\nidle_timeout_seconds = true\n", "expected a positive number"),
        ("[streams]\nping_seconds = -1\n", "streams.ping_seconds: expected a positive number"),
        ("[connections]\nbody_timeout_seconds = nan\n", "expected a positive number"),
        ("[connections]\nunacknowledged_timeout_seconds = inf\n", "expected a positive number"),
        ("[connections]\nidle_timeout_seconds = 1e12\n", "expected a positive number"),
        ("[store]\nquick_check_seconds = 0\n", "store.quick_check_seconds: expected a positive"),
        ("parse_timeout_seconds = 0\n", "parse_timeout_seconds: expected a positive number"),
        ("parse_timeout_seconds = nan\n", "parse_timeout_seconds: expected a positive number"),
        ("parse_timeout_seconds = true\n", "parse_timeout_seconds: expected a positive number"),
        ('[auth]\nread = "closed"\n', 'auth.read: expected "open" or "token"'),
        ('[labels]\ngpu = "cloud"\n', 'labels.gpu: expected "host" or "skip"'),
        (
            '[services]\nlocal = "sometimes"\n',
            'services.local: expected "auto", "always" or "never"',
        ),
        ("[services]\ncache_size_mb = 0\n", "services.cache_size_mb: expected a positive number"),
        (
            "[services]\ncache = 1\n",
            "services.cache: unknown setting (allowed: cache_size_mb, local)",
        ),
        ('[executor]\nkind = "k8s"\n', 'executor.kind: expected "local" or "ray"'),
        ("[executor]\nplacement_timeout_s = 0\n", "executor.placement_timeout_s: expected a"),
        (
            "[executor]\nnodes = 2\n",
            "executor.nodes: unknown setting (allowed: address, kind, placement_timeout_s)",
        ),
        ("port = \n", "stax.toml: "),
        ("engine_process = false\n", "engine_process: removed: the daemon always keeps"),
    ],
)
def test_a_mistake_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, text)
    assert str(caught.value).startswith(f"{tmp_path / 'stax.toml'}: ")
    assert message in str(caught.value)


def test_the_tool_cache_state_folder_is_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "stax.toml").write_text('[actions]\ntool_cache = "tools"\n')
    settings = load_settings(start=tmp_path)
    assert settings.actions.tool_cache == tmp_path / "tools"
    (tmp_path / "stax.toml").write_text('[actions]\ntool_cache = " "\n')
    with pytest.raises(ConfigError, match=r"actions\.tool_cache: expected the path of a folder"):
        load_settings(start=tmp_path)


def test_the_workspace_table_binds_or_places_the_snapshots(tmp_path: Path) -> None:
    assert load_settings(start=tmp_path).workspace.dir is None  # <data_dir>/workspaces
    (tmp_path / "stax.toml").write_text('[workspace]\nbind = true\ndir = "snaps"\n')
    settings = load_settings(start=tmp_path)
    assert settings.workspace.bind is True
    assert settings.workspace.dir == tmp_path / "snaps"
    (tmp_path / "stax.toml").write_text('[workspace]\nbind = "yes"\n')
    with pytest.raises(ConfigError, match=r"workspace\.bind: expected true or false"):
        load_settings(start=tmp_path)
    (tmp_path / "stax.toml").write_text("[workspace]\nkeep = true\n")
    with pytest.raises(ConfigError, match=r"workspace\.keep: unknown setting"):
        load_settings(start=tmp_path)
