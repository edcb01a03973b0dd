"""The JWT secret rules of app/config.py: refuse short secrets, and defaults in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import DEVELOPMENT_JWT_SECRET, KNOWN_DEFAULT_SECRETS, Settings

GOOD_SECRET = "a-private-production-secret-of-40-bytes!"


def _settings(**values):
    return Settings(_env_file=None, **values)


class TestJwtSecret:
    @pytest.mark.parametrize("env", ["development", "test", "production"])
    @pytest.mark.parametrize("secret", ["", "short", "x" * 31, "é" * 15])
    def test_shorter_than_32_bytes_is_refused_everywhere(self, env, secret):
        with pytest.raises(ValidationError, match="at least 32 bytes"):
            _settings(HEMS_ENV=env, JWT_SECRET=secret)

    def test_exactly_32_bytes_is_accepted(self):
        assert _settings(JWT_SECRET="x" * 32).JWT_SECRET == "x" * 32

    def test_length_is_counted_in_bytes(self):
        # 16 two-byte characters: 32 bytes, though only 16 characters.
        assert _settings(JWT_SECRET="é" * 16).JWT_SECRET == "é" * 16

    def test_production_with_the_development_default_is_refused(self):
        with pytest.raises(ValidationError, match="HEMS_ENV=production"):
            _settings(HEMS_ENV="production", JWT_SECRET=DEVELOPMENT_JWT_SECRET)

    def test_production_without_a_secret_is_refused(self, monkeypatch):
        monkeypatch.delenv("JWT_SECRET", raising=False)
        with pytest.raises(ValidationError, match="HEMS_ENV=production"):
            _settings(HEMS_ENV="production")

    def test_production_with_the_environment_default_is_refused(self, monkeypatch):
        monkeypatch.setenv("HEMS_ENV", "production")
        monkeypatch.setenv("JWT_SECRET", DEVELOPMENT_JWT_SECRET)
        with pytest.raises(ValidationError):
            _settings()

    def test_every_known_default_is_refused_in_production(self):
        for secret in KNOWN_DEFAULT_SECRETS:
            with pytest.raises(ValidationError):
                _settings(HEMS_ENV="production", JWT_SECRET=secret)

    def test_production_with_a_private_secret_is_accepted(self, monkeypatch):
        monkeypatch.setenv("HEMS_ENV", "production")
        monkeypatch.setenv("JWT_SECRET", GOOD_SECRET)
        settings = _settings()
        assert settings.is_production()
        assert settings.JWT_SECRET == GOOD_SECRET

    def test_development_may_use_the_built_in_default(self, monkeypatch):
        monkeypatch.delenv("JWT_SECRET", raising=False)
        settings = _settings(HEMS_ENV="development")
        assert settings.JWT_SECRET == DEVELOPMENT_JWT_SECRET


class TestProductionDefaults:
    def test_graphiql_and_introspection_are_off_in_production(self):
        settings = _settings(HEMS_ENV="production", JWT_SECRET=GOOD_SECRET)
        assert (settings.graphiql_enabled, settings.introspection_enabled) == (False, False)

    def test_token_lifetime_is_24_hours(self):
        assert _settings().JWT_LIFETIME_S == 24 * 3600
