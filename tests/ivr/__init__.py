"""Unit tests of the voice menu's decisions: plain objects, no HTTP, no database."""
