"""app/auth/passwords.py: argon2id hashes, verification, and the unknown-user path."""

from __future__ import annotations

from app.auth.passwords import hash_password, verify_password


class TestHashPassword:
    async def test_is_an_argon2id_hash(self):
        assert (await hash_password("correct horse battery")).startswith("$argon2id$")

    async def test_is_salted(self):
        assert await hash_password("same password") != await hash_password("same password")


class TestVerifyPassword:
    async def test_accepts_the_right_password(self):
        stored = await hash_password("correct horse battery")
        assert await verify_password("correct horse battery", stored) is True

    async def test_refuses_a_wrong_password(self):
        stored = await hash_password("correct horse battery")
        assert await verify_password("correct horse batterY", stored) is False

    async def test_unknown_user_is_refused_even_with_the_dummy_password(self):
        assert await verify_password("hems-timing-equaliser", None) is False
        assert await verify_password("anything at all", None) is False
