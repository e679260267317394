import pytest

from xsell import env


def test_local_stage_falls_back_to_local_names(monkeypatch):
    monkeypatch.delenv(env.STAGE, raising=False)
    monkeypatch.delenv(env.PROFILES_TABLE, raising=False)
    assert env.get(env.PROFILES_TABLE) == "xsell-profiles"


def test_deployed_stage_requires_every_variable(monkeypatch):
    monkeypatch.setenv(env.STAGE, "prod")
    monkeypatch.delenv(env.PROFILES_TABLE, raising=False)
    monkeypatch.setenv(env.CONFIG_TABLE, "prod-config")
    with pytest.raises(env.MissingEnvironment, match="XSELL_PROFILES_TABLE"):
        env.require([env.PROFILES_TABLE, env.CONFIG_TABLE])
    assert env.get(env.CONFIG_TABLE) == "prod-config"


def test_models_import_without_variables_for_tables_a_function_does_not_use(monkeypatch):
    import importlib

    import xsell.models.base as base

    monkeypatch.setenv(env.STAGE, "prod")
    monkeypatch.delenv(env.JOBS_TABLE, raising=False)
    assert base.table_name(env.JOBS_TABLE) == "unset-XSELL_JOBS_TABLE"
    importlib.reload(base)
