"""Deliberative meetings (民主恳谈会、居民议事会): notices, sign-up, opinions,
minutes, decisions, follow-up and the public reply (回音)."""
