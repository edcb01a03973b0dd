"""The GraphQL API (Strawberry): schema, context, loaders, permissions and resolvers."""
