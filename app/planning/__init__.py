"""Planning: a forecast of each home's coming hours, a cost-optimal plan for its storage, and
what-if replays of its past through the engine. See docs/planning.md."""
