async def test_register_and_me(api):
    token = await api.register("alice")
    body = await api.gql(
        "{ me { username } energyStats { currentProduction timestamp } }", token=token
    )
    assert body == {
        "data": {
            "me": {"username": "alice"},
            "energyStats": {"currentProduction": 0.0, "timestamp": None},
        }
    }
