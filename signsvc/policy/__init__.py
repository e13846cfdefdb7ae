"""The information-security policy: rules as data, a pure engine, explained decisions."""
