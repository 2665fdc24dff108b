"""The engine's version, shown on the About page and recorded with every model."""

APP_VERSION = "0.1.0"
