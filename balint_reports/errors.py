"""The one error hierarchy: lower modules raise these; only the CLI turns them into exits."""


class BalintError(Exception):
    """A problem that stops the run; its message says what to do."""


class ConfigError(BalintError):
    """The config file cannot be used."""


class RulesetError(BalintError):
    """A ruleset file cannot be used."""


class OutputError(BalintError):
    """The report cannot be written."""


class WouldReplaceBetter(OutputError):
    """This run would replace a report that is later or more complete than its own."""


class DeliveryError(BalintError):
    """Messages cannot be built or sent."""
