"""resolvers package."""
